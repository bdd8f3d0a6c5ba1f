// Every session this server holds, attached or not: admission (maxSessions, maxSessionsPerClient), lookup
// by id, the count /healthz reports, and shutdown. It never looks inside a session.
import type { Refusal } from './upgrade.js';

export interface RegisteredSession {
  readonly id: string;
  /** Whose session it is for per-client limits: the principal, or the address under auth "none". */
  readonly clientKey: string;
  /** Ends the session as the server shuts down (1001 to an attached client). */
  shutdown(): void;
  /** Resolves once the session has ended and its client is gone. */
  readonly closed: Promise<void>;
}

export interface RegistryLimits {
  readonly maxSessions: number;
  /** 0 is unlimited. */
  readonly maxSessionsPerClient: number;
}

export class SessionRegistry<S extends RegisteredSession = RegisteredSession> {
  private readonly byId = new Map<string, S>();
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: RegistryLimits) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): S | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<S> {
    return this.byId.values();
  }

  /** Why a new session for this client cannot be opened now, or undefined. */
  admit(clientKey: string): Refusal | undefined {
    if (this.byId.size >= this.limits.maxSessions) {
      return { status: 503, code: 'too_many_sessions', message: 'too many open consoles; try again later' };
    }
    const max = this.limits.maxSessionsPerClient;
    if (max > 0 && (this.perClient.get(clientKey) ?? 0) >= max) {
      return { status: 429, code: 'too_many_sessions', message: `at most ${max} consoles per client` };
    }
    return undefined;
  }

  add(session: S): void {
    this.byId.set(session.id, session);
    this.perClient.set(session.clientKey, (this.perClient.get(session.clientKey) ?? 0) + 1);
    void session.closed.then(() => {
      if (this.byId.get(session.id) !== session) return;
      this.byId.delete(session.id);
      const left = (this.perClient.get(session.clientKey) ?? 1) - 1;
      if (left > 0) this.perClient.set(session.clientKey, left);
      else this.perClient.delete(session.clientKey);
    });
  }

  /** Ends every session; resolves when all are closed or `graceMs` passed. */
  async shutdown(graceMs: number): Promise<void> {
    const sessions = [...this.byId.values()];
    for (const session of sessions) session.shutdown();
    await Promise.race([
      Promise.all(sessions.map((s) => s.closed)),
      new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
  }
}

// What the header says when a console ends: the close code in words, or, when the WebSocket failed before
// it opened, the server's refusal read back over plain HTTP.
import { describeClose, type ExitMessage, type HttpErrorBody } from '@termrelay/protocol';

const REFUSAL_WORDS: Record<string, string> = {
  origin_not_allowed: 'This page is not allowed to open a console (origin not allowed)',
  host_not_allowed: 'This server does not answer at this address (Host not allowed)',
  target_not_found: 'No such target',
  target_forbidden: 'You are not allowed to open this target',
  session_not_found: 'The session has ended',
  resume_denied: 'The session was opened elsewhere',
  bad_request: 'The console request was invalid',
  too_many_sessions: 'Too many consoles are open — close one or try again later',
  shutting_down: 'The server is restarting — reconnect in a moment',
};

export function describeEnd(code: number, reason: string, exit: ExitMessage | undefined): string {
  return describeClose(code, reason, exit ? { exit } : {});
}

export function describeRefusal(status: number, body: unknown): string {
  const error = (body as Partial<HttpErrorBody> | undefined)?.error;
  if (error && typeof error.code === 'string') {
    // The server says why in words of its own (a token is required, the ticket has expired, …).
    if (error.code === 'unauthorized') {
      return `Not signed in: ${typeof error.message === 'string' ? error.message : 'a valid token is required'}`;
    }
    const words = REFUSAL_WORDS[error.code];
    if (words) return words;
    if (typeof error.message === 'string') return `Refused: ${error.message}`;
  }
  return `The console server refused the connection (HTTP ${status})`;
}

/** A refusal read back over HTTP: the server's error code and its words. */
export interface Refusal {
  readonly status: number;
  readonly code: string | undefined;
  readonly words: string;
}

/**
 * Asks the console URL over plain HTTP why the upgrade failed. Returns undefined when the server would
 * have accepted it (426) or cannot be reached: then the failure was the network, not a refusal.
 */
export async function fetchRefusal(consoleUrl: string): Promise<Refusal | undefined> {
  try {
    const res = await fetch(consoleUrl, { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 426 || res.ok) return undefined;
    const body: unknown = await res.json().catch(() => undefined);
    const code = (body as Partial<HttpErrorBody> | undefined)?.error?.code;
    return {
      status: res.status,
      code: typeof code === 'string' ? code : undefined,
      words: describeRefusal(res.status, body),
    };
  } catch {
    return undefined;
  }
}

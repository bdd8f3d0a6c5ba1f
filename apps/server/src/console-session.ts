// A console session as the server holds it: the SSH side (a relay-core ResumableSession), who opened it,
// the rotating resume token, the one WebSocket attached now (if any), and the log lines, metrics and close
// frame for each attach, detach and end. The session outlives its sockets; it ends when the shell does,
// when its client ends it on purpose or breaks the protocol, when nobody comes back within the grace, or
// when the server shuts down.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ExitMessage } from '@termrelay/protocol';
import { ResumableSession, type EndCause, type Target } from '@termrelay/relay-core';
import type { WebSocket } from 'ws';
import type { AuditEvent, AuditLog } from './audit.js';
import type { BufferPool } from './buffer-pool.js';
import { closeFor, endCauseName, type TransportCause } from './close-codes.js';
import type { ConsoleConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { ResizeCoalescer } from './resize-coalescer.js';
import type { RegisteredSession } from './session-registry.js';
import { WsAttachment, type AttachmentHost } from './ws-attachment.js';

export interface ConsoleSessionOptions {
  readonly id: string;
  readonly targetId: string;
  readonly target: Target;
  /** Environment sent with the shell request. */
  readonly env: Readonly<Record<string, string>>;
  readonly cols: number;
  readonly rows: number;
  /** Who opened it: only the same principal may resume it. */
  readonly principalId: string;
  /** For per-client limits: the principal, or the address under auth "none". */
  readonly clientKey: string;
  readonly config: ConsoleConfig;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The audit trail: open, attach, detach and end, with who, what and from where. */
  readonly audit: AuditLog;
  /** The address of the client that opened it. */
  readonly clientAddress: string;
  readonly pool: BufferPool;
}

export interface AttachOptions {
  /** The output offset the client has; 0 for the socket that opened the session. */
  readonly from: number;
  readonly flowAck: boolean;
  readonly clientAddress: string;
  /** A resume brings the client's terminal size. */
  readonly size?: { readonly cols: number; readonly rows: number };
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export class ConsoleSession implements RegisteredSession, AttachmentHost {
  readonly id: string;
  readonly clientKey: string;
  readonly principalId: string;
  readonly targetId: string;
  readonly session: ResumableSession;
  readonly closed: Promise<void>;
  private readonly log: Logger;
  private readonly resizes: ResizeCoalescer;
  private readonly startedAt = Date.now();
  private tokenDigest: Buffer | undefined;
  private attachment: WsAttachment | undefined;
  private transportCause: TransportCause | undefined;
  private detached = false;
  private bytesIn = 0;
  /** The address of the client attached last, for the audit trail. */
  private clientAddress: string;

  constructor(private readonly options: ConsoleSessionOptions) {
    const { config } = options;
    this.id = options.id;
    this.clientKey = options.clientKey;
    this.principalId = options.principalId;
    this.targetId = options.targetId;
    this.clientAddress = options.clientAddress;
    this.log = options.logger.child({ session: options.id, target: options.targetId });
    this.session = new ResumableSession({
      target: options.target,
      pty: { cols: options.cols, rows: options.rows, env: options.env },
      channelBufferBytes: config.sshBufferBytes,
      connectTimeoutMs: config.connectTimeoutMs,
      handshakeTimeoutMs: config.connectTimeoutMs,
      liveness: {
        intervalMs: config.livenessIntervalMs,
        probeTimeoutMs: config.probeTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        maxLifetimeMs: config.maxLifetimeMs,
      },
      window: config.sshWindowAdaptive && {
        minBytes: config.sshWindowMinBytes,
        maxBytes: config.sshWindowMaxBytes,
      },
      resumeBufferBytes: config.resumeBufferBytes,
      graceMs: config.resumeGraceMs,
      hooks: {
        onOutputPause: () => options.metrics.backpressurePauses.inc(),
      },
    });
    this.resizes = new ResizeCoalescer(config.resizeIntervalMs, (size) =>
      this.session.resize(size.cols, size.rows),
    );
    this.session.onReady(() => {
      this.log.info(
        { cols: options.cols, rows: options.rows, principal: options.principalId },
        'session open',
      );
      this.audit('open');
    });
    this.session.onDetachedChange((detached) => this.setDetached(detached));
    options.metrics.sessionsOpen.inc();
    this.closed = this.session.start().then((cause) => this.onEnded(cause));
  }

  /** Attaches a socket (the one that opened the session, or a resume that takes over). */
  attach(ws: WebSocket, options: AttachOptions): void {
    const previous = this.attachment;
    const attachment = new WsAttachment(ws, this, {
      config: this.options.config,
      metrics: this.options.metrics,
      logger: this.log,
      pool: this.options.pool,
      flowAck: options.flowAck,
      from: options.from,
    });
    this.attachment = attachment;
    this.transportCause = undefined;
    const resumed = options.from !== 0 || previous !== undefined || this.tokenDigest !== undefined;
    this.clientAddress = options.clientAddress;
    if (resumed) this.audit('attach');
    if (options.size) this.resizes.update(options.size);
    this.log.info(
      {
        client: options.clientAddress,
        from: options.from,
        flow: options.flowAck ? 'ack' : 'none',
        ...(previous ? { takeover: true } : {}),
      },
      resumed ? 'session resumed' : 'session attach',
    );
    // A session that was opened and ended while the socket was being accepted: close it with its cause.
    const cause = this.session.cause;
    if (cause) return this.finish(attachment, cause);
    attachment.attach();
  }

  /** Whether `token` is this session's current resume token (constant time; a used token never matches). */
  tokenMatches(token: string): boolean {
    const expected = this.tokenDigest;
    if (!expected || token.length === 0 || token.length > 256) return false;
    return timingSafeEqual(expected, digest(token));
  }

  /** The output offset a resume may ask for at most. */
  get outputEnd(): number {
    return this.session.log.end;
  }

  // AttachmentHost
  nextResumeToken(): string {
    const token = randomBytes(18).toString('base64url');
    this.tokenDigest = digest(token);
    return token;
  }

  resize(cols: number, rows: number): void {
    if (this.session.state === 'open') this.resizes.update({ cols, rows });
  }

  endFor(cause: TransportCause): void {
    if (this.session.state === 'ended') return;
    this.transportCause ??= cause;
    this.session.stop(cause === 'closed' ? 'client-closed' : 'aborted', cause);
  }

  lost(attachment: WsAttachment, cause: TransportCause | undefined, everReady: boolean): void {
    if (attachment !== this.attachment) return;
    this.attachment = undefined;
    if (cause) this.transportCause = cause;
    this.log.info({ ...(cause ? { cause } : {}) }, 'session detach');
    this.audit('detach', cause ? { cause } : {});
    // A client that never got its ready has no token to come back with: nobody can resume this session.
    if (!everReady && !this.session.client) {
      this.transportCause ??= 'closed';
      return this.session.stop('client-closed');
    }
    // Without a grace (resume off) this ends the session, with the cause the transport saw.
    this.session.detach(
      attachment,
      cause === 'client-unresponsive' ? 'client-unresponsive' : cause ? 'aborted' : 'client-closed',
    );
  }

  countInput(bytes: number): void {
    this.bytesIn += bytes;
    this.options.metrics.bytesIn.inc(bytes);
  }

  // RegisteredSession
  shutdown(): void {
    this.endFor('server-shutdown');
  }

  private audit(event: AuditEvent['event'], extra: Partial<AuditEvent> = {}): void {
    this.options.audit.record({
      event,
      session: this.id,
      principal: this.principalId,
      target: this.targetId,
      client: this.clientAddress,
      bytesIn: this.bytesIn,
      bytesOut: this.session.log.end,
      ...extra,
    });
  }

  private setDetached(detached: boolean): void {
    if (detached === this.detached) return;
    this.detached = detached;
    if (detached) this.options.metrics.sessionsDetached.inc();
    else this.options.metrics.sessionsDetached.dec();
  }

  private async onEnded(cause: EndCause): Promise<void> {
    const { metrics } = this.options;
    this.resizes.dispose();
    this.setDetached(false);
    metrics.sessionsOpen.dec();
    const name = endCauseName(cause, this.transportCause);
    metrics.sessionsEnded.inc({ cause: name });
    this.log.info(
      {
        cause: name,
        message: cause.message,
        ...(cause.exitCode !== undefined ? { exitCode: cause.exitCode } : {}),
        ...(cause.exitSignal ? { exitSignal: cause.exitSignal } : {}),
        ...(cause.error ? { err: cause.error.message } : {}),
        durationMs: Date.now() - this.startedAt,
        bytesIn: this.bytesIn,
        bytesOut: this.session.log.end,
      },
      'session closed',
    );
    this.audit('end', { cause: name, durationMs: Date.now() - this.startedAt });
    const attachment = this.attachment;
    this.attachment = undefined;
    if (attachment) {
      this.finish(attachment, cause);
      await attachment.closed;
    }
  }

  private finish(attachment: WsAttachment, cause: EndCause): void {
    const name = endCauseName(cause, this.transportCause);
    const { reason } = closeFor(name, this.options.config, cause);
    const exit: ExitMessage | undefined =
      cause.kind === 'exit'
        ? { type: 'exit', code: cause.exitCode ?? null, signal: cause.exitSignal ?? null }
        : undefined;
    attachment.finish(name, reason, exit);
  }
}

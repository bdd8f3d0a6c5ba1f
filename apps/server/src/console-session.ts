// A console session as the server holds it: the SSH side (a relay-core ResumableSession), who opened it,
// the rotating resume token, the one WebSocket attached now (if any), and the log lines, metrics and close
// frame for each attach, detach and end. The session outlives its sockets; it ends when the shell does,
// when its client ends it on purpose or breaks the protocol, when nobody comes back within the grace, or
// when the server shuts down.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { endEntry, type ExitMessage, type SharedMessage } from '@termrelay/protocol';
import { ResumableSession, type EndCause, type Target } from '@termrelay/relay-core';
import type { WebSocket } from 'ws';
import type { AuditEvent, AuditLog } from './audit.js';
import type { BufferPool } from './buffer-pool.js';
import { closeFor, endCauseName, type TransportCause } from './close-codes.js';
import type { ConsoleConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Recorder } from './recorder.js';
import { ResizeCoalescer } from './resize-coalescer.js';
import type { RegisteredSession } from './session-registry.js';
import { WsAttachment, type AttachmentHost } from './ws-attachment.js';
import { WsWatcher } from './ws-watcher.js';

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
  /** The session's recording, started before the session was accepted; absent when it is not recorded. */
  readonly recorder?: Recorder;
  /** A recording that fails ends the session (4030) instead of being logged and counted. */
  readonly recordingRequired?: boolean;
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
  private size: { cols: number; rows: number };
  /** Digests of the watch keys handed out, with when each stops letting watchers in (ms since epoch). */
  private readonly shareKeys = new Map<string, number>();
  private readonly watchers = new Set<WsWatcher>();

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
        drainBudgetMs: config.sshWindowDrainMs,
      },
      resumeBufferBytes: config.resumeBufferBytes,
      readAheadBytes: config.readAheadBytes,
      graceMs: config.resumeGraceMs,
      hooks: {
        onOutputPause: () => options.metrics.backpressurePauses.inc(),
      },
    });
    this.size = { cols: options.cols, rows: options.rows };
    this.resizes = new ResizeCoalescer(config.resizeIntervalMs, (size) => this.applySize(size));
    this.record(options.recorder);
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
    if (this.watchers.size > 0) this.tellWatcherCount();
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

  /** Whether `key` is a watch key of this session that still lets watchers in. */
  keyMatches(key: string): boolean {
    if (key.length === 0 || key.length > 256) return false;
    const expires = this.shareKeys.get(digest(key).toString('hex'));
    return expires !== undefined && expires > Date.now();
  }

  /** How many watchers are attached now. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Adds a read-only watcher (the key was checked before the upgrade). */
  watch(ws: WebSocket, clientAddress: string): void {
    const watcher = new WsWatcher(ws, this.session, {
      config: this.options.config,
      logger: this.log,
      ...this.size,
    });
    if (this.session.state === 'ended') return watcher.close(1000, 'The console was closed');
    this.watchers.add(watcher);
    this.options.metrics.watchers.inc();
    this.log.info({ client: clientAddress, watchers: this.watchers.size }, 'watcher attach');
    void watcher.closed.then(() => {
      if (!this.watchers.delete(watcher)) return;
      this.options.metrics.watchers.dec();
      this.log.info({ watchers: this.watchers.size }, 'watcher detach');
      this.tellWatcherCount();
    });
    const begin = () => watcher.start();
    if (this.session.state === 'open') begin();
    else this.session.onReady(begin);
    this.tellWatcherCount();
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

  share(): SharedMessage | undefined {
    const { shareTtlMs, maxWatchers } = this.options.config;
    if (maxWatchers === 0) return undefined;
    const key = randomBytes(18).toString('base64url');
    const expires = Date.now() + shareTtlMs;
    this.shareKeys.set(digest(key).toString('hex'), expires);
    this.log.info({ expiresAt: new Date(expires).toISOString() }, 'session shared');
    return {
      type: 'shared',
      url: `/watch?session=${encodeURIComponent(this.id)}&key=${key}`,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  unshare(): void {
    this.shareKeys.clear();
    for (const watcher of this.watchers) watcher.close(1000, 'The owner stopped sharing this console');
    this.log.info({}, 'session unshared');
  }

  countInput(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.options.metrics.bytesIn.inc(chunk.length);
    this.options.recorder?.input(chunk);
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

  private applySize(size: { cols: number; rows: number }): void {
    this.session.resize(size.cols, size.rows);
    if (size.cols === this.size.cols && size.rows === this.size.rows) return;
    this.size = { ...size };
    this.options.recorder?.resize(size.cols, size.rows);
    for (const watcher of this.watchers) watcher.resize(size.cols, size.rows);
  }

  private record(recorder: Recorder | undefined): void {
    if (!recorder) return;
    const { metrics } = this.options;
    this.session.onOutput((chunk) => recorder.output(chunk));
    recorder.onError((error) => {
      metrics.recordingErrors.inc();
      this.log.error({ err: error.message, required: !!this.options.recordingRequired }, 'recording failed');
      if (this.options.recordingRequired) this.endFor('recording-failed');
    });
  }

  private tellWatcherCount(): void {
    this.attachment?.notify({ type: 'watchers', count: this.watchers.size });
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
    this.finishWatchers(cause);
    const recording = this.options.recorder?.close();
    if (attachment) {
      this.finish(attachment, cause);
      await attachment.closed;
    }
    await recording;
  }

  /** Watchers end with the session, with its close code. */
  private finishWatchers(cause: EndCause): void {
    const name = endCauseName(cause, this.transportCause);
    const { reason } = closeFor(name, this.options.config, cause);
    const exit: ExitMessage | undefined =
      cause.kind === 'exit'
        ? { type: 'exit', code: cause.exitCode ?? null, signal: cause.exitSignal ?? null }
        : undefined;
    for (const watcher of this.watchers) watcher.finish(endEntry(name).code ?? 1000, reason, exit);
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

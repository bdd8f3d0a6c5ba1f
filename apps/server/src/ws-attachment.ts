// One WebSocket attached to a console session. It reads output from the session's log at the pace the
// client drains it (the queue cap, and acks with `flow=ack`), batches it into frames, and passes input,
// control messages and liveness back. It owns nothing that outlives its socket: when the socket goes, the
// session goes on without it (detached), unless the client asked to end it or broke the protocol. It
// never ends the SSH session itself; it tells its host why the socket went.
import {
  CloseCode,
  endEntry,
  parseClientControl,
  type EndCauseName,
  type ExitMessage,
  type ReadyMessage,
  type ServerControlMessage,
  type SharedMessage,
} from '@termrelay/protocol';
import {
  DisposableStore,
  toDisposable,
  type ResumableSession,
  type SessionClient,
} from '@termrelay/relay-core';
import type { WebSocket } from 'ws';
import { Batcher } from './batcher.js';
import type { BufferPool } from './buffer-pool.js';
import type { TransportCause } from './close-codes.js';
import type { ConsoleConfig } from './config.js';
import { ControlLimiter } from './control-limiter.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { OutputGate } from './output-gate.js';

/** What an attachment needs from the session that holds it. */
export interface AttachmentHost {
  readonly id: string;
  readonly session: ResumableSession;
  /** The next resume token; the one before stops working. */
  nextResumeToken(): string;
  /** Sends a resize towards the target (coalesced by the host). */
  resize(cols: number, rows: number): void;
  /** The client ended the session on purpose, or broke the protocol: end it. */
  endFor(cause: TransportCause): void;
  /**
   * The socket is gone without the client asking to end: detach (and remember why, for the log).
   * `everReady` is false when the client never got its ready (and so no resume token).
   */
  lost(attachment: WsAttachment, cause: TransportCause | undefined, everReady: boolean): void;
  /** Counts (and records) input for logs and metrics. */
  countInput(chunk: Buffer): void;
  /** Makes a watch link; undefined when sharing is off. */
  share(): SharedMessage | undefined;
  /** Revokes every watch link and closes the watchers. */
  unshare(): void;
}

export interface AttachmentOptions {
  readonly config: ConsoleConfig;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly pool: BufferPool;
  readonly flowAck: boolean;
  /** The output offset the client has (0 for a new session). */
  readonly from: number;
}

export class WsAttachment implements SessionClient {
  private readonly store = new DisposableStore();
  private readonly batcher: Batcher;
  private readonly gate: OutputGate;
  private readonly limiter: ControlLimiter;
  private readonly config: ConsoleConfig;
  /** The next output offset to send; set when attached. */
  private cursor = 0;
  /** The offset this connection's first byte had: acks count from here. */
  private base = 0;
  private attached = false;
  private everReady = false;
  private pongSeen = true;
  private closing = false;
  /** Set while pump() runs: a write callback inside it must not re-enter it. */
  private pumping = false;
  /** Set when the client broke the protocol (ws reports it before the close). */
  private violation: TransportCause | undefined;
  private resolveClosed!: () => void;
  /** Resolves when the socket has closed. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly ws: WebSocket,
    private readonly host: AttachmentHost,
    private readonly options: AttachmentOptions,
  ) {
    const { config, metrics } = options;
    this.config = config;
    this.gate = new OutputGate(
      config.outputBufferBytes,
      options.flowAck ? config.clientWindowBytes : undefined,
    );
    this.limiter = new ControlLimiter(config.controlMessagesPerSecond);
    this.batcher = new Batcher(
      config,
      {
        send: (frame, done) => {
          // Never call back synchronously: a write that completes inside pump() would re-enter it.
          if (ws.readyState !== ws.OPEN) return void setImmediate(done);
          ws.send(frame, { binary: true }, done);
        },
      },
      options.pool,
      {
        onWritten: () => this.onWritten(),
        onWriteTimeout: () => this.lose('client-too-slow'),
        onFrame: (bytes) => {
          metrics.framesOut.inc();
          metrics.flushBytes.observe(bytes);
        },
      },
    );
    this.store.add(toDisposable(() => this.batcher.dispose()));
    ws.on('pong', () => (this.pongSeen = true));
    ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean) =>
      this.onMessage(toBuffer(data), isBinary),
    );
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the connection itself with 1007 or 1009; the session ends for it (see onSocketClose).
      if (error.code === 'WS_ERR_INVALID_UTF8') this.violation = 'invalid-text';
      else if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.violation = 'frame-too-large';
      options.logger.debug({ err: error.message }, 'websocket error');
    });
    ws.on('close', (code: number) => this.onSocketClose(code));
    this.store.add(host.session.onInputDrain(() => ws.isPaused && ws.resume()));
  }

  /** Attaches to the session from the client's offset, once the shell is open, and says ready. */
  attach(): void {
    const session = this.host.session;
    const begin = () => {
      if (this.closing || this.ws.readyState !== this.ws.OPEN || session.state === 'ended') return;
      const start = session.attach(this, this.options.from);
      this.cursor = start;
      this.base = start;
      this.attached = true;
      this.everReady = true;
      const ready: ReadyMessage = {
        type: 'ready',
        session: this.host.id,
        resume: this.host.nextResumeToken(),
        offset: start,
        inputOffset: session.inputOffset,
      };
      this.sendControl(ready);
      // Output between what the client has and what is kept is gone: the client starts a fresh screen.
      if (start > this.options.from) this.sendControl({ type: 'reset' });
      this.pump();
    };
    if (session.state === 'open') begin();
    else this.store.add(session.onReady(begin));
  }

  // SessionClient
  onOutput(): void {
    this.pump();
  }

  probe(): boolean {
    if (!this.pongSeen) return false;
    this.pongSeen = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    return true;
  }

  onDetached(reason: 'taken-over' | 'client-unresponsive'): void {
    this.attached = false;
    // The session already let go of this socket; the host forgets it too (a takeover already has).
    this.host.lost(this, reason === 'client-unresponsive' ? reason : undefined, this.everReady);
    this.closeWith(reason, true);
  }

  /** Ends this connection because the session ended: all output first, then the exit, then the close frame. */
  finish(name: EndCauseName, reason: string, exit?: ExitMessage): void {
    if (this.closing) return;
    if (this.attached && this.ws.readyState === this.ws.OPEN) {
      this.pump(true);
      this.batcher.flush();
      if (exit) this.sendControl(exit);
    }
    this.attached = false;
    const code = endEntry(name).code ?? CloseCode.ShellExited;
    const unresponsive = code === CloseCode.ClientTooSlow || code === CloseCode.ClientUnresponsive;
    this.close(code, reason, unresponsive);
  }

  /** Sends output from the log while the gate is open (or all that is kept, when the session is ending). */
  private pump(all = false): void {
    if (!this.attached || this.closing || this.pumping) return;
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.pumping = true;
    try {
      this.pumpNow(all);
    } finally {
      this.pumping = false;
    }
  }

  private pumpNow(all: boolean): void {
    const session = this.host.session;
    const log = session.log;
    while (this.cursor < log.end && (all || this.gate.open(this.queued()))) {
      const chunks = log.read(this.cursor, this.config.flushBytes);
      if (chunks.length === 0) break;
      for (const chunk of chunks) {
        this.batcher.push(chunk);
        this.cursor += chunk.length;
        this.gate.onSent(chunk.length);
        this.options.metrics.bytesOut.inc(chunk.length);
      }
    }
    session.took(this, this.cursor);
    if (!this.gate.acks) session.confirm(this.cursor - this.queued());
  }

  private queued(): number {
    return this.batcher.pendingBytes + this.ws.bufferedAmount;
  }

  private onWritten(): void {
    if (!this.attached) return;
    if (!this.gate.acks) this.host.session.confirm(this.cursor - this.queued());
    this.pump();
  }

  private onMessage(buffer: Buffer, isBinary: boolean): void {
    if (this.closing) return;
    if (isBinary) {
      if (!this.attached || buffer.length === 0) return;
      this.batcher.noteInput();
      this.host.countInput(buffer);
      if (!this.host.session.write(this, buffer)) this.ws.pause();
      return;
    }
    // Bound the cost before parsing: one event loop serves every session.
    if (buffer.length > this.config.maxControlFrameBytes) return this.breakProtocol('frame-too-large');
    const verdict = this.limiter.take();
    if (verdict !== 'accept') {
      this.options.metrics.controlIgnored.inc({ reason: 'rate-limited' });
      if (verdict === 'flood') this.breakProtocol('policy-violation');
      return;
    }
    const message = parseClientControl(buffer.toString('utf8'));
    if ('ignored' in message) {
      this.options.metrics.controlIgnored.inc({ reason: message.ignored });
      return;
    }
    if (message.type === 'resize') {
      this.host.resize(message.cols, message.rows);
    } else if (message.type === 'close') {
      this.host.endFor('closed');
    } else if (message.type === 'share') {
      const shared = this.host.share();
      if (shared) this.sendControl(shared);
      else this.options.metrics.controlIgnored.inc({ reason: 'sharing-off' });
    } else if (message.type === 'unshare') {
      this.host.unshare();
    } else if (this.gate.acks) {
      this.gate.onAck(message.bytes);
      this.host.session.confirm(this.base + this.gate.acked);
      this.pump();
    } else {
      this.options.metrics.controlIgnored.inc({ reason: 'ack-without-flow' });
    }
  }

  /** Sends a control message to the client, when it is attached. */
  notify(message: ServerControlMessage): void {
    if (this.attached && !this.closing) this.sendControl(message);
  }

  private breakProtocol(cause: TransportCause): void {
    this.violation = cause;
    this.host.endFor(cause);
  }

  /** The client is gone or too slow: detach; the session waits for it to come back. */
  private lose(cause: TransportCause): void {
    if (this.closing) return;
    this.attached = false;
    this.host.lost(this, cause, this.everReady);
    this.closeWith(cause, true);
  }

  private onSocketClose(code: number): void {
    this.resolveClosed();
    this.attached = false;
    this.store.dispose();
    if (this.closing) return;
    this.closing = true;
    if (this.violation) return this.host.endFor(this.violation);
    // A close frame without a code, or 1000, is the client ending the session; anything else (1001 from a
    // page that reloads, 1006 from a dropped connection) leaves it to be resumed.
    if (code === 1000 || code === 1005) return this.host.endFor('closed');
    this.host.lost(this, undefined, this.everReady);
  }

  private closeWith(cause: EndCauseName, terminateSoon: boolean): void {
    this.close(endEntry(cause).code ?? 1000, endEntry(cause).words, terminateSoon);
  }

  private close(code: number, reason: string, terminateSoon: boolean): void {
    if (this.closing) return;
    this.closing = true;
    this.store.dispose();
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.close(code, reason);
    // A peer that is not reading never answers the close frame: do not wait on it long.
    if (terminateSoon) setTimeout(() => this.ws.terminate(), this.config.closeTimeoutMs).unref();
  }

  private sendControl(message: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }
}

function toBuffer(data: Buffer | Buffer[] | ArrayBuffer): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

// One read-only watcher of a session: a WebSocket that gets what the session's output log keeps, then
// live output as it is appended, and the owner's terminal size. A watcher never holds the session back:
// it neither confirms nor takes output from the log, and one that falls more than `outputBufferBytes`
// behind has its backlog dropped and is skipped forward to live output (a `reset` tells the page). It
// never writes to the session: a binary frame from a watcher closes it with 1008.
import { CloseCode, type ExitMessage, type WatchControlMessage } from '@termrelay/protocol';
import { DisposableStore, toDisposable, type ResumableSession } from '@termrelay/relay-core';
import type { WebSocket } from 'ws';
import type { ConsoleConfig } from './config.js';
import type { Logger } from './logger.js';

export interface WatcherOptions {
  readonly config: Pick<ConsoleConfig, 'outputBufferBytes' | 'livenessIntervalMs' | 'closeTimeoutMs'>;
  readonly logger: Logger;
  /** The owner's terminal size now. */
  readonly cols: number;
  readonly rows: number;
}

export class WsWatcher {
  private readonly store = new DisposableStore();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  /** Output was dropped since the last frame: the next frame goes after a reset. */
  private behind = false;
  private pongSeen = true;
  private closing = false;
  private resolveClosed!: () => void;
  /** Resolves when the socket has closed. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly ws: WebSocket,
    private readonly session: ResumableSession,
    private readonly options: WatcherOptions,
  ) {
    ws.on('message', (_data: unknown, isBinary: boolean) => {
      // Watchers have nothing to say; input would be a watcher trying to type into the owner's shell.
      if (isBinary) this.close(CloseCode.PolicyViolation, 'A watcher cannot type into the console');
    });
    ws.on('pong', () => (this.pongSeen = true));
    ws.on('error', (error: Error) => options.logger.debug({ err: error.message }, 'watcher socket error'));
    ws.on('close', () => {
      this.closing = true;
      this.store.dispose();
      this.resolveClosed();
    });
    const timer = setInterval(() => this.probe(), options.config.livenessIntervalMs);
    timer.unref();
    this.store.add(toDisposable(() => clearInterval(timer)));
  }

  /** Says ready, sends what the log keeps, then follows the live output. */
  start(): void {
    if (this.closing) return;
    this.sendControl({ type: 'ready', readonly: true, cols: this.options.cols, rows: this.options.rows });
    const log = this.session.log;
    for (const chunk of log.read(log.start, log.size)) this.push(chunk);
    this.store.add(this.session.onOutput((chunk) => this.push(chunk)));
  }

  /** The owner's terminal changed size. */
  resize(cols: number, rows: number): void {
    this.flush();
    this.sendControl({ type: 'size', cols, rows });
  }

  /** The session ended: what is queued, the exit status, then the session's close code. */
  finish(code: number, reason: string, exit?: ExitMessage): void {
    this.flush();
    if (exit) this.sendControl(exit);
    this.close(code, reason);
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.store.dispose();
    if (this.ws.readyState !== this.ws.OPEN) return this.ws.terminate();
    this.ws.close(code, reason);
    // A watcher that stopped reading never answers the close frame.
    setTimeout(() => this.ws.terminate(), this.options.config.closeTimeoutMs).unref();
  }

  private push(chunk: Buffer): void {
    if (this.closing) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Keep only the newest output up to the bound: what falls off the front is skipped.
    while (this.pendingBytes > this.options.config.outputBufferBytes && this.pending.length > 1) {
      const oldest = this.pending.shift() as Buffer;
      this.pendingBytes -= oldest.length;
      this.behind = true;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Sends what is queued as one frame once the socket has room; while it has none, output keeps queueing
   * (newest kept, see push) and goes out when a write completes, after a reset if some was skipped.
   */
  private flush(): void {
    if (this.closing || this.pendingBytes === 0) return;
    if (this.ws.bufferedAmount > this.options.config.outputBufferBytes) return;
    if (this.behind) {
      this.behind = false;
      this.sendControl({ type: 'reset' });
    }
    const frame = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.ws.readyState !== this.ws.OPEN) return;
    // A completed write may have made room for what queued meanwhile.
    this.ws.send(frame, { binary: true }, () => {
      if (this.pendingBytes > 0) this.scheduleFlush();
    });
  }

  private probe(): void {
    if (!this.pongSeen) return this.close(CloseCode.ClientUnresponsive, 'This browser stopped responding');
    this.pongSeen = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  private sendControl(message: WatchControlMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }
}

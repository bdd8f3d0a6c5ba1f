// One read-only watcher of a session: a WebSocket that gets what the session's output log keeps, then
// live output as it is appended, and the owner's terminal size. A watcher never holds the session back:
// it neither confirms nor takes output from the log, and one that falls more than `outputBufferBytes`
// behind has its backlog dropped and is skipped forward: once its socket has drained to half that, it gets
// a `reset` and the latest output the log keeps (up to half of `outputBufferBytes`, from a line start), then
// live output again — so a watcher that catches up while the owner is quiet still sees the current screen.
// It never writes to the session: a binary frame from a watcher closes it with 1008.
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
    if (this.tooFarBehind()) this.drop();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /**
   * Sends what is queued as one frame, unless the socket is too far behind: then it is dropped. A watcher
   * that was skipped forward catches up once its socket has drained to half of `outputBufferBytes`; until
   * then what comes is dropped too. Also runs as each frame leaves, so catching up needs no new output.
   */
  private flush(): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    if (this.behind) {
      if (this.ws.bufferedAmount > this.catchUpBytes) return this.drop();
      return this.catchUp();
    }
    if (this.pendingBytes === 0) return;
    if (this.tooFarBehind()) return this.drop();
    const frame = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.send(frame);
  }

  /** Half the allowance: the most replayed on catching up, and how drained the socket must be first. */
  private get catchUpBytes(): number {
    return Math.floor(this.options.config.outputBufferBytes / 2);
  }

  /** A reset, then the latest output the log keeps (from a line start when it can), then live again. */
  private catchUp(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.behind = false;
    this.sendControl({ type: 'reset' });
    const log = this.session.log;
    const from = Math.max(log.start, log.end - this.catchUpBytes);
    let tail = Buffer.concat(log.read(from, log.end - from));
    const newline = from > log.start ? tail.indexOf(0x0a) : -1;
    if (newline >= 0) tail = tail.subarray(newline + 1);
    if (tail.length > 0) this.send(tail);
  }

  private send(frame: Buffer): void {
    this.ws.send(frame, { binary: true }, () => {
      if (this.behind && !this.flushScheduled) this.flush();
    });
  }

  private tooFarBehind(): boolean {
    return this.pendingBytes + this.ws.bufferedAmount > this.options.config.outputBufferBytes;
  }

  private drop(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.behind = true;
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

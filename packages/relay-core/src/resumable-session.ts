// A session that outlives its client. The SSH side is one RelaySession; its client is a stream this file
// owns, whose output goes into an OutputLog with offsets and whose input comes from whichever client is
// attached. Clients attach, detach and come back; a new attach takes over from the one before. While
// nobody is attached the remote keeps running and its output fills the log; when the log holds as much
// unconfirmed output as it may, the stream stops taking output and the SSH channel stops being read, so
// the remote program waits, as behind a paused terminal. Nobody back within the grace ends the session.
// It knows no transport: a client is the small SessionClient interface below.
import { Duplex } from 'node:stream';
import type { EndCause, EndCauseKind } from './causes.js';
import { Emitter, toDisposable, type Disposable } from './lifecycle.js';
import { OutputLog } from './output-log.js';
import { RelaySession, type SessionOptions, type SessionState } from './session.js';

/** What the session needs of an attached client. */
export interface SessionClient {
  /** More output may be read from the log. Must be cheap; the client reads when it can. */
  onOutput(): void;
  /**
   * The liveness probe: false when the previous probe was not answered (the client is gone and is
   * detached), otherwise sends the next probe and returns true.
   */
  probe(): boolean;
  /** The session let go of this client: another took over, or it stopped answering. Close the transport. */
  onDetached(reason: DetachReason): void;
}

export type DetachReason = 'taken-over' | 'client-unresponsive';

export interface ResumableSessionOptions extends Omit<SessionOptions, 'clientProbe' | 'signal'> {
  /** Output kept for clients that come back; the remote waits when this much is unconfirmed. The default is 1048576. */
  readonly resumeBufferBytes?: number;
  /** How long a session without a client waits for one. 0 ends it when its client goes. The default is 300000 ms. */
  readonly graceMs?: number;
  /** Output taken from the channel ahead of what the attached client has taken. The default is 65536. */
  readonly readAheadBytes?: number;
}

export const DEFAULT_RESUME = {
  resumeBufferBytes: 1_048_576,
  graceMs: 300_000,
  readAheadBytes: 65_536,
} as const;

export class ResumableSession implements Disposable {
  readonly log: OutputLog;
  private readonly relay: RelaySession;
  private readonly stream: Duplex;
  private readonly graceMs: number;
  private readonly readAheadBytes: number;
  private readonly inputDrain = new Emitter<void>();
  private readonly detachedEmitter = new Emitter<boolean>();
  private readonly outputEmitter = new Emitter<Buffer>();
  private current: SessionClient | undefined;
  /** How far the attached client has taken output from the log. */
  private taken = 0;
  private input = 0;
  private heldWrite: (() => void) | undefined;
  private grace: Disposable | undefined;

  /** Fires when the shell is open (once). */
  readonly onReady: RelaySession['onReady'];
  /** Fires once with the cause, after teardown. */
  readonly onEnd: RelaySession['onEnd'];
  /** Resolves once with the cause; never rejects. */
  readonly ended: Promise<EndCause>;
  /** The stream wants more input: a client paused for backpressure may read again. */
  readonly onInputDrain = this.inputDrain.event;
  /** Fires with true when the last client left, false when one attached. */
  readonly onDetachedChange = this.detachedEmitter.event;
  /**
   * Fires with each output chunk as it is appended to the log (for recorders and watchers). Listeners must
   * be cheap and must not keep the session waiting: they never hold output back.
   */
  readonly onOutput = this.outputEmitter.event;

  constructor(options: ResumableSessionOptions) {
    const bufferBytes = options.resumeBufferBytes ?? DEFAULT_RESUME.resumeBufferBytes;
    this.graceMs = options.graceMs ?? DEFAULT_RESUME.graceMs;
    this.readAheadBytes = options.readAheadBytes ?? DEFAULT_RESUME.readAheadBytes;
    if (!Number.isInteger(bufferBytes) || bufferBytes < 1024)
      throw new RangeError(`resumeBufferBytes must be an integer >= 1024, got ${bufferBytes}`);
    if (!Number.isFinite(this.graceMs) || this.graceMs < 0)
      throw new RangeError(`graceMs must be a number >= 0, got ${this.graceMs}`);
    if (!Number.isInteger(this.readAheadBytes) || this.readAheadBytes < 1024)
      throw new RangeError(`readAheadBytes must be an integer >= 1024, got ${this.readAheadBytes}`);
    this.log = new OutputLog(bufferBytes);
    this.stream = new Duplex({
      readableHighWaterMark: 64 * 1024,
      writableHighWaterMark: 16 * 1024,
      read: () => this.inputDrain.fire(),
      write: (chunk: Buffer, _encoding, callback) => {
        this.log.append(chunk);
        // Holding the callback is the backpressure: relay-core's pump stops reading the SSH channel.
        if (this.mustHold()) this.heldWrite = callback;
        else callback();
        this.outputEmitter.fire(chunk);
        this.current?.onOutput();
      },
    });
    this.stream.on('error', () => {});
    this.relay = new RelaySession(this.stream, {
      ...options,
      // No client is no client to lose; a client that stops answering is detached, not the session ended.
      clientProbe: () => this.probeClient(),
    });
    this.onReady = this.relay.onReady;
    this.onEnd = this.relay.onEnd;
    this.ended = this.relay.ended;
    void this.ended.then(() => this.teardown());
  }

  get state(): SessionState {
    return this.relay.state;
  }

  get cause(): EndCause | undefined {
    return this.relay.cause;
  }

  /** How many input bytes the session has taken from its clients. */
  get inputOffset(): number {
    return this.input;
  }

  /** The attached client, if any. */
  get client(): SessionClient | undefined {
    return this.current;
  }

  start(): Promise<EndCause> {
    return this.relay.start();
  }

  /**
   * Attaches a client that has output up to `from` (clamped to what the log keeps; returns the offset its
   * output starts at). A client already attached is detached first with 'taken-over', so input is
   * counted from one client at a time and `inputOffset` is exact for the new one.
   */
  attach(client: SessionClient, from: number): number {
    if (this.relay.state === 'ended') throw new Error('the session has ended');
    const previous = this.current;
    if (previous && previous !== client) {
      this.current = undefined;
      previous.onDetached('taken-over');
    }
    this.grace?.dispose();
    this.grace = undefined;
    this.current = client;
    const start = Math.min(Math.max(from, this.log.start), this.log.end);
    this.taken = start;
    this.releaseHeldWrite();
    if (!previous) this.detachedEmitter.fire(false);
    return start;
  }

  /** The client left (or was lost): the session waits `graceMs` for another, or ends now without a grace. */
  detach(client: SessionClient, cause: EndCauseKind = 'client-closed'): void {
    if (this.current !== client) return;
    this.current = undefined;
    if (this.relay.state === 'ended') return;
    if (this.graceMs === 0) return this.relay.stop(cause);
    this.detachedEmitter.fire(true);
    this.releaseHeldWrite();
    const timer = setTimeout(() => this.relay.stop('detached-timeout'), this.graceMs);
    this.grace = toDisposable(() => clearTimeout(timer));
  }

  /** The attached client has taken output up to `offset` (sent it on its way). */
  took(client: SessionClient, offset: number): void {
    if (client !== this.current) return;
    this.taken = Math.max(this.taken, offset);
    this.releaseHeldWrite();
  }

  /** A client confirmed it received output up to `offset`: the log may let go of it. */
  confirm(offset: number): void {
    this.log.confirm(offset);
    this.releaseHeldWrite();
  }

  /** Input from a client; ignored unless it is the attached one. False: pause until onInputDrain. */
  write(client: SessionClient, chunk: Buffer): boolean {
    if (client !== this.current || chunk.length === 0 || this.relay.state === 'ended') return true;
    this.input += chunk.length;
    return this.stream.push(chunk);
  }

  resize(cols: number, rows: number): void {
    this.relay.resize(cols, rows);
  }

  /** Ends the session with `kind` (a client that ends it on purpose: 'client-closed'). */
  stop(kind: EndCauseKind, message?: string): void {
    this.relay.stop(kind, message);
  }

  abort(message?: string): void {
    this.relay.abort(message);
  }

  dispose(): void {
    this.abort();
  }

  private mustHold(): boolean {
    if (this.log.full) return true;
    return this.current !== undefined && this.log.end - this.taken >= this.readAheadBytes;
  }

  private releaseHeldWrite(): void {
    const callback = this.heldWrite;
    if (!callback || this.mustHold()) return;
    this.heldWrite = undefined;
    callback();
  }

  private probeClient(): boolean {
    const client = this.current;
    if (!client || client.probe()) return true;
    // Without a grace the verdict is the session's: it ends as unresponsive.
    if (this.graceMs === 0) return false;
    this.detach(client, 'client-unresponsive');
    client.onDetached('client-unresponsive');
    return true;
  }

  private teardown(): void {
    this.grace?.dispose();
    this.current = undefined;
    this.heldWrite = undefined;
    this.stream.destroy();
    this.inputDrain.dispose();
    this.detachedEmitter.dispose();
    this.outputEmitter.dispose();
  }
}

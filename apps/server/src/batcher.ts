// Output batching: PTY output is coalesced into one binary frame per flush window, or sooner once
// `flushBytes` are pending. Interactive output is never delayed: after a quiet window, or right after the
// user's input (the echo), the chunk goes out at once; only what follows inside the window waits. Every frame is timed
// from send to its write callback; one not written within `writeTimeoutMs` reports a write timeout.
import type { BufferPool } from './buffer-pool.js';

export interface BatcherOptions {
  /** The coalescing window. 0 sends every chunk at once. */
  readonly flushIntervalMs: number;
  /** Pending bytes that trigger an immediate flush; also the largest coalesced frame. */
  readonly flushBytes: number;
  readonly writeTimeoutMs: number;
}

export interface FrameSink {
  /** Sends one binary frame; `done` runs once the frame is written to the socket (or failed). */
  send(frame: Buffer, done: (error?: Error) => void): void;
}

export interface BatcherEvents {
  /** A frame's write completed: queue space may have opened. */
  onWritten(): void;
  /** A frame was not written within writeTimeoutMs. */
  onWriteTimeout(): void;
  /** Observes each frame's size (metrics). */
  onFrame?(bytes: number): void;
}

export class Batcher {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly inFlight: number[] = [];
  private watchdog: NodeJS.Timeout | undefined;
  private disposed = false;
  private inputSinceFlush = false;

  constructor(
    private readonly options: BatcherOptions,
    private readonly sink: FrameSink,
    private readonly pool: BufferPool,
    private readonly events: BatcherEvents,
  ) {}

  /** Bytes waiting for the window to close. */
  get pendingBytes(): number {
    return this.pendingSize;
  }

  /** Frames handed to the sink whose write has not completed. */
  get framesInFlight(): number {
    return this.inFlight.length;
  }

  push(chunk: Buffer): void {
    if (this.disposed || chunk.length === 0) return;
    if (this.pendingSize + chunk.length > this.options.flushBytes) this.flush();
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    if (this.windowTimer === undefined || this.inputSinceFlush) {
      // Quiet until now, or the user just typed (this is likely the echo): send at once, then coalesce
      // what follows for one window.
      this.flush();
      if (this.windowTimer === undefined) this.openWindow();
    } else if (this.pendingSize >= this.options.flushBytes) {
      this.flush();
    }
  }

  /** The client sent input: the next output (its echo) should not wait for the window. */
  noteInput(): void {
    this.inputSinceFlush = true;
  }

  /** Sends whatever is pending now. */
  flush(): void {
    if (this.pendingSize === 0 || this.disposed) return;
    this.inputSinceFlush = false;
    const chunks = this.pending;
    const size = this.pendingSize;
    this.pending = [];
    this.pendingSize = 0;
    let frame: Buffer;
    let pooled: Buffer | undefined;
    if (chunks.length === 1) {
      frame = chunks[0] as Buffer;
    } else if (size <= this.pool.bufferSize) {
      pooled = this.pool.acquire();
      let offset = 0;
      for (const chunk of chunks) offset += chunk.copy(pooled, offset);
      frame = pooled.subarray(0, size);
    } else {
      frame = Buffer.concat(chunks, size);
    }
    this.events.onFrame?.(size);
    this.inFlight.push(Date.now());
    this.armWatchdog();
    this.sink.send(frame, () => {
      if (pooled) this.pool.release(pooled);
      this.inFlight.shift();
      if (this.inFlight.length === 0) this.clearWatchdog();
      if (!this.disposed) this.events.onWritten();
    });
  }

  dispose(): void {
    this.disposed = true;
    this.pending = [];
    this.pendingSize = 0;
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.clearWatchdog();
  }

  private openWindow(): void {
    if (this.options.flushIntervalMs <= 0) return;
    this.windowTimer = setTimeout(() => {
      this.windowTimer = undefined;
      if (this.pendingSize > 0) {
        // Output is still flowing: send it and keep coalescing for another window.
        this.flush();
        this.openWindow();
      }
    }, this.options.flushIntervalMs);
  }

  private armWatchdog(): void {
    if (this.watchdog !== undefined) return;
    const oldest = this.inFlight[0];
    if (oldest === undefined) return;
    const delay = Math.max(0, oldest + this.options.writeTimeoutMs - Date.now());
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      const first = this.inFlight[0];
      if (first === undefined || this.disposed) return;
      if (Date.now() - first >= this.options.writeTimeoutMs) this.events.onWriteTimeout();
      else this.armWatchdog();
    }, delay);
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }
}

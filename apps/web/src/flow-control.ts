// Acknowledgements for `flow=ack`: counts bytes xterm has finished parsing and reports them in batches —
// every `threshold` bytes, or once output goes quiet for `idleMs` — so the server can keep the
// unacknowledged output (and with it Ctrl+C latency) bounded.

export interface AckBatcherOptions {
  /** Ack once this many parsed bytes are unreported. The default is 64 KiB. */
  readonly threshold?: number;
  /** Ack what is left when no more output was parsed for this long. The default is 20 ms. */
  readonly idleMs?: number;
}

export class AckBatcher {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly threshold: number;
  private readonly idleMs: number;

  constructor(
    private readonly send: (bytes: number) => void,
    options: AckBatcherOptions = {},
  ) {
    this.threshold = options.threshold ?? 64 * 1024;
    this.idleMs = options.idleMs ?? 20;
  }

  /** Called from xterm's write callback with the size of the chunk it just parsed. */
  parsed(bytes: number): void {
    // Writes of a connection that is gone still finish parsing: they are not this connection's to ack.
    if (this.disposed) return;
    this.pending += bytes;
    if (this.pending >= this.threshold) {
      this.flush();
      return;
    }
    if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.idleMs);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    const bytes = this.pending;
    this.pending = 0;
    this.send(bytes);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
  }
}

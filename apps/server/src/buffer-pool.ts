// Flush buffers are reused rather than allocated per frame. A buffer goes back to the pool only when ws
// reports its frame written, since ws hands our buffer to the socket without copying it.

export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** Size of every pooled buffer. */
    readonly bufferSize: number,
    /** How many idle buffers are kept at most; the rest are left to the garbage collector. */
    readonly maxFree: number,
  ) {
    if (!Number.isInteger(bufferSize) || bufferSize <= 0) throw new RangeError('bufferSize must be > 0');
  }

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bufferSize);
  }

  release(buffer: Buffer): void {
    if (buffer.length === this.bufferSize && this.free.length < this.maxFree) this.free.push(buffer);
  }

  get idle(): number {
    return this.free.length;
  }
}

// A session's output with offsets: every byte the remote program wrote gets a position in one stream, so a
// client that comes back after a drop says where it is and gets exactly what follows. The log keeps up to
// `capacity` bytes. Bytes the client has confirmed may be dropped to make room; bytes it may not have
// received never are: when those alone fill the log, the log is full and its owner stops reading output.
// It never copies a chunk: it keeps the buffers it is given, and slices them when it drops part of one.
// Reads start from where the last read ended (a client reads forward), so a read costs what it returns,
// not the number of chunks kept.

export class OutputLog {
  private chunks: Buffer[] = [];
  private startOffset = 0;
  private endOffset = 0;
  private confirmedOffset = 0;
  /** Where the last read ended: the index of a kept chunk and that chunk's offset. */
  private hintIndex = 0;
  private hintOffset = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** The offset of the oldest byte kept. */
  get start(): number {
    return this.startOffset;
  }

  /** How many bytes were ever appended: the offset the next byte will have. */
  get end(): number {
    return this.endOffset;
  }

  /** Everything before this offset was received by a client and may be dropped. */
  get confirmed(): number {
    return this.confirmedOffset;
  }

  /** Bytes kept now. */
  get size(): number {
    return this.endOffset - this.startOffset;
  }

  /** True when the bytes not yet confirmed fill the log: take no more output until something is confirmed. */
  get full(): boolean {
    return this.endOffset - this.confirmedOffset >= this.capacity;
  }

  /** Appends a chunk. It is always kept (even past capacity by up to one chunk); callers stop when `full`. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.endOffset += chunk.length;
    this.trim();
  }

  /** A client confirmed it has everything before `offset`. Offsets beyond the end are clamped. */
  confirm(offset: number): void {
    const clamped = Math.min(offset, this.endOffset);
    if (clamped <= this.confirmedOffset) return;
    this.confirmedOffset = clamped;
    this.trim();
  }

  /**
   * Up to `maxBytes` of output starting at `from` (at least one chunk's worth when any is there), as the
   * kept buffers or slices of them. `from` below `start` is read from `start`.
   */
  read(from: number, maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    let index = 0;
    let position = this.startOffset;
    if (this.hintIndex < this.chunks.length && from >= this.hintOffset) {
      index = this.hintIndex;
      position = this.hintOffset;
    }
    let taken = 0;
    for (; index < this.chunks.length; index++) {
      const chunk = this.chunks[index] as Buffer;
      const chunkEnd = position + chunk.length;
      if (chunkEnd > from) {
        this.hintIndex = index;
        this.hintOffset = position;
        const piece = from > position ? chunk.subarray(from - position) : chunk;
        out.push(piece);
        taken += piece.length;
        if (taken >= maxBytes) break;
      }
      position = chunkEnd;
    }
    return out;
  }

  /** Drops confirmed bytes from the front while the log holds more than its capacity. */
  private trim(): void {
    while (this.size > this.capacity && this.startOffset < this.confirmedOffset) {
      const first = this.chunks[0];
      if (!first) break;
      const droppable = Math.min(this.confirmedOffset - this.startOffset, this.size - this.capacity);
      if (droppable >= first.length) {
        this.chunks.shift();
        this.startOffset += first.length;
        if (this.hintIndex > 0) this.hintIndex--;
        else this.hintOffset = this.startOffset;
      } else {
        this.chunks[0] = first.subarray(droppable);
        this.startOffset += droppable;
        if (this.hintIndex === 0) this.hintOffset = this.startOffset;
        break;
      }
    }
  }
}

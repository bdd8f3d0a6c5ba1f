// Exactly-once input across reconnects. The server counts the input bytes a session has taken and says
// the count in every `ready` (`inputOffset`); between two readies the page cannot know which of the bytes
// it sent arrived before the socket died. So it keeps every byte since the count it last heard, and after
// a resume re-sends exactly those beyond the new count — followed by what was typed while reconnecting,
// which was held back. It only does the bookkeeping: sending is the caller's.

export interface InputJournalOptions {
  /**
   * The most input kept for re-sending; beyond it the oldest bytes are forgotten (a drop right then could
   * lose them). The default is 1 MiB: far more than typing, a large paste.
   */
  readonly maxBytes?: number;
}

export class InputJournal {
  private readonly maxBytes: number;
  /** The session's input offset of the first byte kept. */
  private base = 0;
  private chunks: Uint8Array[] = [];
  private size = 0;
  private attached = false;

  constructor(options: InputJournalOptions = {}) {
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    if (!(this.maxBytes > 0)) throw new RangeError('input journal: maxBytes must be > 0');
  }

  /** Bytes kept: sent but not yet counted by a ready, or typed while detached. */
  get keptBytes(): number {
    return this.size;
  }

  get isAttached(): boolean {
    return this.attached;
  }

  /** Keeps typed input. True when it should be sent now; false when it waits for the next attach. */
  write(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return false;
    this.chunks.push(bytes);
    this.size += bytes.length;
    this.trim();
    return this.attached;
  }

  /**
   * A `ready` said the session has taken `inputOffset` bytes. Returns what to send now, in order: what was
   * sent but did not arrive, then what was typed while detached. From now on `write` says "send".
   */
  attach(inputOffset: number): Uint8Array[] {
    let skip = inputOffset - this.base;
    if (skip >= this.size) {
      // Everything kept arrived (or someone else's input was counted too: nothing of ours is owed).
      this.chunks = [];
      this.size = 0;
    } else if (skip > 0) {
      while (skip > 0) {
        const first = this.chunks[0] as Uint8Array;
        if (first.length <= skip) {
          this.chunks.shift();
          skip -= first.length;
          this.size -= first.length;
        } else {
          this.chunks[0] = first.subarray(skip);
          this.size -= skip;
          skip = 0;
        }
      }
    }
    // skip < 0: bytes forgotten over maxBytes never arrived; the rest still goes, in order.
    this.base = inputOffset;
    this.attached = true;
    return [...this.chunks];
  }

  /** The socket is gone: hold input until the next attach. */
  detach(): void {
    this.attached = false;
  }

  private trim(): void {
    while (this.size > this.maxBytes) {
      const first = this.chunks[0] as Uint8Array;
      const over = this.size - this.maxBytes;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.base += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.base += over;
      }
    }
  }
}

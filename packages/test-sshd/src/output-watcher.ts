// Collects a stream of output bytes as text and waits for patterns in it. Arriving chunks are searched
// with a short overlap only, so megabytes of output stay linear. Bytes map to latin1 characters, so
// byte offsets and string offsets agree.

const OVERLAP = 4096;

interface Waiter {
  readonly pattern: RegExp;
  readonly from: number;
  readonly resolve: (m: RegExpExecArray) => void;
}

export class OutputWatcher {
  private parts: string[] = [];
  private length = 0;
  private tail = '';
  private bytes = 0;
  private waiters: Waiter[] = [];

  feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    const text = chunk.toString('latin1');
    const window = this.tail + text;
    const windowStart = this.length - this.tail.length;
    this.parts.push(text);
    this.length += text.length;
    this.tail = window.slice(-OVERLAP);
    for (const waiter of [...this.waiters]) {
      const m = exec(waiter.pattern, window, waiter.from, windowStart);
      if (m) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(m);
      }
    }
  }

  /** Everything received so far, bytes as latin1 characters. */
  get output(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }

  get receivedBytes(): number {
    return this.bytes;
  }

  /** Resolves with the first match of `pattern` at or after offset `from` of the output. */
  waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
    const found = exec(pattern, this.output, from, 0);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pattern,
        from,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const tail = this.tail.slice(-300);
        reject(new Error(`timed out waiting for ${String(pattern)}; output tail: ${JSON.stringify(tail)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

/** Matches `pattern` in `text` (which starts at output offset `textStart`) at or after offset `from`. */
function exec(pattern: RegExp, text: string, from: number, textStart: number): RegExpExecArray | null {
  const skip = Math.max(0, from - textStart);
  const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(text.slice(skip));
  if (m) m.index += textStart + skip;
  return m;
}

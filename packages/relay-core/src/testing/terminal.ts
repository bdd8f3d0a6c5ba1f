// The test's end of a session's client stream: collects output as text and waits for patterns in it.
// Arriving chunks are searched with a short overlap only, so megabytes of output stay linear.
import type { Duplex } from 'node:stream';

const OVERLAP = 4096;

interface Waiter {
  readonly pattern: RegExp;
  readonly from: number;
  readonly resolve: (m: RegExpExecArray) => void;
}

export class TestTerminal {
  private parts: string[] = [];
  private length = 0;
  private tail = '';
  private bytes = 0;
  private waiters: Waiter[] = [];

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      const text = chunk.toString('latin1');
      const window = this.tail + text;
      const windowStart = this.length - this.tail.length;
      this.parts.push(text);
      this.length += text.length;
      this.tail = window.slice(-OVERLAP);
      this.check(window, windowStart);
    });
    stream.on('error', () => {});
  }

  /** Everything received so far, bytes as latin1 characters. */
  get output(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }

  get receivedBytes(): number {
    return this.bytes;
  }

  write(text: string): void {
    this.stream.write(Buffer.from(text, 'utf8'));
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

  private check(window: string, windowStart: number): void {
    for (const waiter of [...this.waiters]) {
      const m = exec(waiter.pattern, window, waiter.from, windowStart);
      if (m) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(m);
      }
    }
  }
}

/** Matches `pattern` in `text` (which starts at output offset `textStart`) at or after offset `from`. */
function exec(pattern: RegExp, text: string, from: number, textStart: number): RegExpExecArray | null {
  const skip = Math.max(0, from - textStart);
  const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(text.slice(skip));
  if (m) m.index += textStart + skip;
  return m;
}

// At most one window-change per interval: each one is a SIGWINCH on the target, and a client can send
// thousands a second. The first size after a quiet interval goes at once; later ones inside the interval
// wait for its end, and only the latest is sent.
import type { Disposable } from '@termrelay/relay-core';

export interface Size {
  readonly cols: number;
  readonly rows: number;
}

export class ResizeCoalescer implements Disposable {
  private timer: NodeJS.Timeout | undefined;
  private pending: Size | undefined;
  private disposed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly apply: (size: Size) => void,
  ) {}

  update(size: Size): void {
    if (this.disposed) return;
    if (this.intervalMs <= 0) return this.apply(size);
    if (this.timer) {
      this.pending = size;
      return;
    }
    this.apply(size);
    this.arm();
  }

  dispose(): void {
    this.disposed = true;
    this.pending = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const size = this.pending;
      this.pending = undefined;
      if (size && !this.disposed) {
        this.apply(size);
        this.arm();
      }
    }, this.intervalMs);
  }
}

// Resize reporting: the terminal refits on every layout change, but the server hears only real changes of
// cols/rows, at most once per `delayMs` of quiet (a window drag fires dozens of events).

export interface Size {
  readonly cols: number;
  readonly rows: number;
}

export class ResizeReporter {
  private last: Size | undefined;
  private next: Size | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (size: Size) => void,
    private readonly delayMs = 100,
  ) {}

  /** The size the server already knows (the one the console was opened with). */
  reset(size: Size): void {
    this.last = size;
    this.next = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reports `size` after the quiet period, unless it equals what the server knows by then. */
  update(size: Size): void {
    this.next = size;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const next = this.next;
      if (!next || (this.last && next.cols === this.last.cols && next.rows === this.last.rows)) return;
      this.last = next;
      this.send(next);
    }, this.delayMs);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

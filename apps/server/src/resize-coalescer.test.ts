import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResizeCoalescer, type Size } from './resize-coalescer.js';

describe('ResizeCoalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first size at once and only the latest of a burst after the interval', () => {
    const sent: Size[] = [];
    const coalescer = new ResizeCoalescer(50, (size) => sent.push(size));
    coalescer.update({ cols: 10, rows: 10 });
    for (let i = 11; i < 1000; i++) coalescer.update({ cols: i, rows: 10 });
    expect(sent).toEqual([{ cols: 10, rows: 10 }]);
    vi.advanceTimersByTime(50);
    expect(sent).toEqual([
      { cols: 10, rows: 10 },
      { cols: 999, rows: 10 },
    ]);
    vi.advanceTimersByTime(500);
    expect(sent).toHaveLength(2);
  });

  it('sends nothing after dispose', () => {
    const sent: Size[] = [];
    const coalescer = new ResizeCoalescer(50, (size) => sent.push(size));
    coalescer.update({ cols: 1, rows: 1 });
    coalescer.update({ cols: 2, rows: 2 });
    coalescer.dispose();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([{ cols: 1, rows: 1 }]);
  });
});

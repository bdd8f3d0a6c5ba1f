import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResizeReporter } from './resize.js';

afterEach(() => vi.useRealTimers());

describe('ResizeReporter', () => {
  it('reports only the last size after a burst of changes', () => {
    vi.useFakeTimers();
    const sent: unknown[] = [];
    const reporter = new ResizeReporter((s) => sent.push(s), 100);
    reporter.reset({ cols: 80, rows: 24 });
    reporter.update({ cols: 81, rows: 24 });
    reporter.update({ cols: 90, rows: 30 });
    vi.advanceTimersByTime(99);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ cols: 90, rows: 30 }]);
  });

  it('stays silent when the size did not really change', () => {
    vi.useFakeTimers();
    const sent: unknown[] = [];
    const reporter = new ResizeReporter((s) => sent.push(s), 100);
    reporter.reset({ cols: 80, rows: 24 });
    reporter.update({ cols: 100, rows: 24 });
    reporter.update({ cols: 80, rows: 24 });
    vi.advanceTimersByTime(200);
    expect(sent).toEqual([]);
    reporter.update({ cols: 100, rows: 40 });
    vi.advanceTimersByTime(200);
    reporter.update({ cols: 100, rows: 40 });
    vi.advanceTimersByTime(200);
    expect(sent).toEqual([{ cols: 100, rows: 40 }]);
  });
});

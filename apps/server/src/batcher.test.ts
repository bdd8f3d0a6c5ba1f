import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatcherOptions } from './batcher.js';
import { BufferPool } from './buffer-pool.js';

afterEach(() => vi.useRealTimers());

function setup(options: Partial<BatcherOptions> = {}, autoComplete = true) {
  vi.useFakeTimers();
  const frames: string[] = [];
  const pending: (() => void)[] = [];
  const events = { written: 0, timeouts: 0 };
  const pool = new BufferPool(64, 4);
  const batcher = new Batcher(
    { flushIntervalMs: 8, flushBytes: 64, writeTimeoutMs: 1000, ...options },
    {
      send: (frame, done) => {
        frames.push(frame.toString());
        if (autoComplete) done();
        else pending.push(() => done());
      },
    },
    pool,
    { onWritten: () => events.written++, onWriteTimeout: () => events.timeouts++ },
  );
  return { batcher, frames, pending, events, pool };
}

describe('Batcher', () => {
  it('sends the first chunk after a quiet window at once', () => {
    const { batcher, frames } = setup();
    batcher.push(Buffer.from('a'));
    expect(frames).toEqual(['a']);
  });

  it('coalesces what follows inside the window into one frame', () => {
    const { batcher, frames } = setup();
    batcher.push(Buffer.from('a'));
    batcher.push(Buffer.from('b'));
    batcher.push(Buffer.from('c'));
    expect(frames).toEqual(['a']);
    vi.advanceTimersByTime(8);
    expect(frames).toEqual(['a', 'bc']);
    // Output kept flowing, so the next chunk still waits for its window.
    batcher.push(Buffer.from('d'));
    expect(frames).toEqual(['a', 'bc']);
    vi.advanceTimersByTime(8);
    expect(frames).toEqual(['a', 'bc', 'd']);
    // A window with nothing to send closes it: the next chunk is immediate again.
    vi.advanceTimersByTime(8);
    batcher.push(Buffer.from('e'));
    expect(frames).toEqual(['a', 'bc', 'd', 'e']);
  });

  it('sends the output that follows input at once, even inside the window (the echo)', () => {
    const { batcher, frames } = setup();
    batcher.push(Buffer.from('a'));
    batcher.noteInput();
    batcher.push(Buffer.from('x'));
    batcher.push(Buffer.from('y'));
    expect(frames).toEqual(['a', 'x']);
    vi.advanceTimersByTime(8);
    expect(frames).toEqual(['a', 'x', 'y']);
  });

  it('flushes as soon as flushBytes are pending, never exceeding it in one coalesced frame', () => {
    const { batcher, frames } = setup({ flushBytes: 9 });
    batcher.push(Buffer.from('0'));
    batcher.push(Buffer.from('123456'));
    batcher.push(Buffer.from('789'));
    expect(frames).toEqual(['0', '123456789']);
    batcher.push(Buffer.from('abcdefgh'));
    batcher.push(Buffer.from('ijk'));
    expect(frames).toEqual(['0', '123456789', 'abcdefgh']);
  });

  it('reuses pooled buffers once the frame is written', () => {
    const { batcher, pool, pending } = setup({}, false);
    batcher.push(Buffer.from('a'));
    batcher.push(Buffer.from('b'));
    batcher.push(Buffer.from('c'));
    vi.advanceTimersByTime(8);
    expect(pool.idle).toBe(0);
    for (const done of pending.splice(0)) done();
    expect(pool.idle).toBe(1);
  });

  it('reports a write timeout for a frame not written in time, and only then', () => {
    const { batcher, pending, events } = setup({ writeTimeoutMs: 1000 }, false);
    batcher.push(Buffer.from('a'));
    vi.advanceTimersByTime(999);
    expect(events.timeouts).toBe(0);
    pending.shift()?.();
    batcher.push(Buffer.from('b'));
    vi.advanceTimersByTime(999);
    expect(events.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(events.timeouts).toBe(1);
  });

  it('sends nothing and arms nothing after dispose', () => {
    const { batcher, frames } = setup({}, false);
    batcher.push(Buffer.from('a'));
    batcher.push(Buffer.from('b'));
    batcher.dispose();
    vi.advanceTimersByTime(100);
    batcher.push(Buffer.from('c'));
    expect(frames).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Backoff, Reconnector } from './reconnect.js';

afterEach(() => vi.useRealTimers());

describe('Backoff', () => {
  it('waits 250 ms, doubling up to 5 s by default', () => {
    const backoff = new Backoff();
    const waits = Array.from({ length: 8 }, () => backoff.next());
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('starts short again after a reset', () => {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 300 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 300]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('refuses options that make no sense, naming them', () => {
    expect(() => new Backoff({ initialDelayMs: 0 })).toThrow(/initialDelayMs/);
    expect(() => new Backoff({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(/maxDelayMs/);
  });
});

describe('Reconnector', () => {
  it('runs one attempt after each wait, and the waits grow', () => {
    vi.useFakeTimers();
    const tries: number[] = [];
    const reconnector = new Reconnector();
    expect(reconnector.schedule(() => tries.push(Date.now()))).toBe(250);
    // A second drop before the first retry ran replaces it: still one attempt at a time.
    expect(reconnector.schedule(() => tries.push(Date.now()))).toBe(500);
    vi.advanceTimersByTime(499);
    expect(tries).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(tries).toHaveLength(1);
    expect(reconnector.pending).toBe(false);
  });

  it('goes back to the shortest wait after a success', () => {
    vi.useFakeTimers();
    const reconnector = new Reconnector();
    reconnector.schedule(() => {});
    reconnector.schedule(() => {});
    reconnector.succeeded();
    expect(reconnector.schedule(() => {})).toBe(250);
  });

  it('hurries a waiting retry (back online), and does nothing when none waits', () => {
    vi.useFakeTimers();
    let tries = 0;
    const reconnector = new Reconnector();
    expect(reconnector.hurry(() => tries++)).toBe(false);
    reconnector.schedule(() => tries++);
    expect(reconnector.hurry(() => tries++)).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(tries).toBe(1);
  });

  it('never runs an attempt after dispose', () => {
    vi.useFakeTimers();
    let tries = 0;
    const reconnector = new Reconnector();
    reconnector.schedule(() => tries++);
    reconnector.dispose();
    vi.advanceTimersByTime(10_000);
    expect(tries).toBe(0);
  });
});

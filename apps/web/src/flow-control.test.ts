import { afterEach, describe, expect, it, vi } from 'vitest';
import { AckBatcher } from './flow-control.js';

afterEach(() => vi.useRealTimers());

describe('AckBatcher', () => {
  it('acks in batches of the threshold', () => {
    const sent: number[] = [];
    const ack = new AckBatcher((n) => sent.push(n), { threshold: 100, idleMs: 20 });
    for (let i = 0; i < 25; i++) ack.parsed(10);
    expect(sent).toEqual([100, 100]);
  });

  it('acks the rest once output goes idle, so the server never waits on a partial batch', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const ack = new AckBatcher((n) => sent.push(n), { threshold: 100, idleMs: 20 });
    ack.parsed(30);
    ack.parsed(5);
    vi.advanceTimersByTime(19);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([35]);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([35]);
  });

  it('never acks more than was parsed, and nothing after dispose', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const ack = new AckBatcher((n) => sent.push(n), { threshold: 64 });
    ack.parsed(63);
    ack.dispose();
    ack.parsed(64);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
  });
});

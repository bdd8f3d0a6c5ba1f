import { describe, expect, it } from 'vitest';
import { ControlLimiter } from './control-limiter.js';

describe('ControlLimiter', () => {
  it('accepts a burst of perSecond, then ignores until tokens refill', () => {
    let now = 0;
    const limiter = new ControlLimiter(10, () => now);
    for (let i = 0; i < 10; i++) expect(limiter.take()).toBe('accept');
    expect(limiter.take()).toBe('ignore');
    now += 100;
    expect(limiter.take()).toBe('accept');
    expect(limiter.take()).toBe('ignore');
  });

  it('calls a sustained flood at more than twice the rate a flood', () => {
    const limiter = new ControlLimiter(10, () => 0);
    const verdicts: string[] = [];
    for (let i = 0; i < 21; i++) verdicts.push(limiter.take());
    expect(verdicts.slice(0, 10).every((v) => v === 'accept')).toBe(true);
    expect(verdicts.slice(10, 20).every((v) => v === 'ignore')).toBe(true);
    expect(verdicts[20]).toBe('flood');
  });

  it('never calls a client that stays at the rate a flood', () => {
    let now = 0;
    const limiter = new ControlLimiter(100, () => now);
    for (let i = 0; i < 10_000; i++) {
      now += 10;
      expect(limiter.take()).toBe('accept');
    }
  });
});

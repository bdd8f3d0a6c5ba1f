// Rate limit for a console's control messages: a token bucket of `perSecond` tokens refilled
// continuously. A message without a token is ignored; a client that keeps sending at more than twice the
// rate for a second is flooding, and its console is closed. Parsing is cheap once frames are size-bounded,
// but not free, and one event loop serves every session.

export type ControlVerdict = 'accept' | 'ignore' | 'flood';

export class ControlLimiter {
  private tokens: number;
  private last: number;
  private windowStart: number;
  private ignoredInWindow = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isFinite(perSecond) || perSecond <= 0) throw new RangeError('perSecond must be > 0');
    this.tokens = perSecond;
    this.last = now();
    this.windowStart = this.last;
  }

  take(): ControlVerdict {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'accept';
    }
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.ignoredInWindow = 0;
    }
    this.ignoredInWindow++;
    return this.ignoredInWindow > this.perSecond ? 'flood' : 'ignore';
  }
}

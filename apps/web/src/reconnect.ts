// When the page tries again after its connection dropped: a backoff that starts short (a blip heals in
// a moment) and doubles up to a ceiling (a server that is down is not hammered), and the one timer that
// waits it out. It never decides whether to try — the console does, from what the server answered.
import type { IDisposable } from '@xterm/xterm';

export interface ReconnectOptions {
  /** The wait before the first retry. The default is 250 ms. */
  readonly initialDelayMs?: number;
  /** The longest wait between retries; each wait doubles until it reaches this. The default is 5000 ms. */
  readonly maxDelayMs?: number;
}

export const RECONNECT_DEFAULTS: Required<ReconnectOptions> = { initialDelayMs: 250, maxDelayMs: 5000 };

/** 250, 500, 1000, … up to the ceiling, and back to the start after a success. */
export class Backoff {
  private readonly options: Required<ReconnectOptions>;
  private nextDelay: number;

  constructor(options: ReconnectOptions = {}) {
    this.options = { ...RECONNECT_DEFAULTS, ...options };
    const { initialDelayMs, maxDelayMs } = this.options;
    if (!(initialDelayMs > 0) || !(maxDelayMs >= initialDelayMs))
      throw new RangeError('reconnect: initialDelayMs must be > 0 and maxDelayMs >= initialDelayMs');
    this.nextDelay = initialDelayMs;
  }

  /** The wait before the next try; the one after will be twice as long (up to the ceiling). */
  next(): number {
    const delay = this.nextDelay;
    this.nextDelay = Math.min(delay * 2, this.options.maxDelayMs);
    return delay;
  }

  reset(): void {
    this.nextDelay = this.options.initialDelayMs;
  }
}

/** Runs one retry at a time after the backoff's wait. Dispose to cancel. */
export class Reconnector implements IDisposable {
  private readonly backoff: Backoff;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ReconnectOptions = {}) {
    this.backoff = new Backoff(options);
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Calls `attempt` after the next wait (replacing a retry already waiting); returns the wait. */
  schedule(attempt: () => void): number {
    this.cancel();
    const delay = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      attempt();
    }, delay);
    return delay;
  }

  /** Runs a waiting retry now (the browser says it is online again). False when none was waiting. */
  hurry(attempt: () => void): boolean {
    if (this.timer === undefined) return false;
    this.cancel();
    attempt();
    return true;
  }

  /** The connection is back: the next drop starts from the shortest wait again. */
  succeeded(): void {
    this.cancel();
    this.backoff.reset();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.cancel();
  }
}

import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { DEFAULT_SSH_WINDOW, WindowController, type SshWindowOptions } from './ssh-window.js';

const KiB = 1024;

function controller(options: Partial<SshWindowOptions> = {}, initial = { remote: 64 * KiB, buffered: 0 }) {
  const clock = new ManualClock();
  const grants: number[] = [];
  const window = new WindowController(
    { ...DEFAULT_SSH_WINDOW, ...options },
    clock,
    (bytes) => grants.push(bytes),
    initial,
  );
  return { clock, grants, window };
}

/** The remote sends everything it may, and the client consumes `bytes` of it. */
function flow(c: ReturnType<typeof controller>, bytes: number) {
  c.window.received(bytes);
  c.window.consumed(bytes);
}

describe('WindowController', () => {
  it('grants only as bytes are consumed, keeping what is outstanding within the window', () => {
    const c = controller();
    c.window.received(64 * KiB);
    expect(c.grants).toEqual([]);
    c.window.consumed(16 * KiB);
    // Less than half the window is free: no grant yet.
    expect(c.grants).toEqual([]);
    c.window.consumed(16 * KiB);
    expect(c.grants).toEqual([32 * KiB]);
    expect(c.window.outstandingBytes).toBe(64 * KiB);
  });

  it('grants nothing while the client consumes nothing, however much arrived', () => {
    const c = controller();
    c.window.received(64 * KiB);
    c.clock.advance(10_000);
    expect(c.grants).toEqual([]);
    expect(c.window.outstandingBytes).toBe(64 * KiB);
  });

  it('starts above the window when the channel opened with more, and grants only once back under it', () => {
    const c = controller({}, { remote: 2048 * KiB, buffered: 0 });
    c.window.received(2048 * KiB);
    c.window.consumed(2000 * KiB);
    expect(c.grants).toEqual([]);
    c.window.consumed(48 * KiB);
    expect(c.grants).toEqual([64 * KiB]);
  });

  it('grows the window toward drain rate × round trip when the client is fast and the link is long', () => {
    const clock = new ManualClock();
    const rttMs = 100;
    // The remote always has output: every grant comes back as data one round trip later.
    const inFlight: { at: number; bytes: number }[] = [{ at: rttMs, bytes: 64 * KiB }];
    const window = new WindowController(
      { ...DEFAULT_SSH_WINDOW, maxBytes: 2048 * KiB },
      clock,
      (bytes) => inFlight.push({ at: clock.now() + rttMs, bytes }),
      { remote: 64 * KiB, buffered: 0 },
    );
    let delivered = 0;
    for (let t = 0; t < 20_000; t++) {
      clock.advance(1);
      while (inFlight[0] && inFlight[0].at <= clock.now()) {
        const { bytes } = inFlight.shift() as { bytes: number };
        window.received(bytes);
        window.consumed(bytes);
        if (t >= 19_000) delivered += bytes;
      }
    }
    expect(window.roundTripMs).toBeCloseTo(rttMs, 0);
    expect(window.windowBytes).toBe(2048 * KiB);
    // Over the last second the link carried at least half of max window per round trip.
    expect(delivered).toBeGreaterThanOrEqual(((2048 * KiB) / 2) * (1000 / rttMs));
  });

  it('keeps the window at its minimum when the client drains slowly over a short link', () => {
    const c = controller({ minBytes: 64 * KiB, maxBytes: 2048 * KiB });
    // 1 ms round trip, client consumes 2.4 MB/s: 2.4 KB per ms, far below 64 KiB per round trip.
    for (let t = 0; t < 3000; t++) {
      c.clock.advance(1);
      flow(c, 2400);
    }
    expect(c.window.windowBytes).toBe(64 * KiB);
    expect(c.window.outstandingBytes).toBeLessThanOrEqual(64 * KiB);
  });

  it('grows the window for a fast client on a short link whose round trip the measure underestimates', () => {
    // The grant's first byte comes back after 1 ms, but the remote then takes 1 ms per 32 KiB to send the
    // rest (a PTY read, sshd scheduled late): the window, not the link or the client, limits the rate.
    const simulate = (options: Partial<SshWindowOptions>) => {
      const clock = new ManualClock();
      const inFlight: { at: number; bytes: number }[] = [];
      const send = (bytes: number) => {
        let at = Math.max(clock.now() + 1, (inFlight.at(-1)?.at ?? 0) + 1);
        for (let left = bytes; left > 0; left -= 32 * KiB) {
          inFlight.push({ at: at++, bytes: Math.min(left, 32 * KiB) });
        }
      };
      send(64 * KiB);
      const window = new WindowController({ ...DEFAULT_SSH_WINDOW, ...options }, clock, send, {
        remote: 64 * KiB,
        buffered: 0,
      });
      let delivered = 0;
      for (let t = 0; t < 3000; t++) {
        clock.advance(1);
        while (inFlight[0] && inFlight[0].at <= clock.now()) {
          const { bytes } = inFlight.shift() as { bytes: number };
          window.received(bytes);
          window.consumed(bytes);
          if (t >= 2000) delivered += bytes;
        }
      }
      return { windowBytes: window.windowBytes, delivered };
    };
    const budgeted = simulate({});
    const roundTripOnly = simulate({ drainBudgetMs: 0 });
    expect(budgeted.windowBytes).toBeGreaterThan(256 * KiB);
    expect(roundTripOnly.windowBytes).toBe(64 * KiB);
    // And never more than the client drains within the budget (32 KiB per ms here, 25 ms), plus a step.
    expect(budgeted.windowBytes).toBeLessThanOrEqual(32 * KiB * 25 * 1.1);
    expect(budgeted.delivered).toBeGreaterThanOrEqual(roundTripOnly.delivered);
  });

  it('leaves the window as it is through an idle period', () => {
    const c = controller({ minBytes: 64 * KiB });
    c.clock.advance(5000);
    c.window.consumed(0);
    expect(c.window.windowBytes).toBe(64 * KiB);
  });

  it('stops granting once disposed', () => {
    const c = controller();
    c.window.received(64 * KiB);
    c.window.dispose();
    c.window.consumed(64 * KiB);
    expect(c.grants).toEqual([]);
  });

  it('refuses bad bounds, naming the option', () => {
    expect(() => controller({ minBytes: 100 })).toThrow(/window\.minBytes/);
    expect(() => controller({ minBytes: 64 * KiB, maxBytes: 32 * KiB })).toThrow(/window\.maxBytes/);
    expect(() => controller({ roundTrips: 0 })).toThrow(/window\.roundTrips/);
    expect(() => controller({ samplePeriodMs: 0 })).toThrow(/window\.samplePeriodMs/);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { Liveness, type LivenessOptions, type LivenessProbes, type LivenessVerdict } from './liveness.js';

const options: LivenessOptions = {
  intervalMs: 1000,
  probeTimeoutMs: 300,
  idleTimeoutMs: 5000,
  maxLifetimeMs: 20_000,
};

function watch(probes: LivenessProbes, overrides: Partial<LivenessOptions> = {}) {
  const clock = new ManualClock();
  const verdicts: LivenessVerdict[] = [];
  const liveness = new Liveness({ ...options, ...overrides }, probes, clock, (v) => verdicts.push(v));
  return { clock, verdicts, liveness };
}

describe('Liveness', () => {
  it('ends an idle session at the idle timeout, not before', () => {
    const { clock, verdicts } = watch({});
    clock.advance(4999);
    expect(verdicts).toEqual([]);
    clock.advance(1);
    expect(verdicts).toEqual(['idle-timeout']);
  });

  it('counts input and output as activity', () => {
    const { clock, verdicts, liveness } = watch({});
    for (let i = 0; i < 3; i++) {
      clock.advance(4000);
      liveness.touch();
    }
    expect(verdicts).toEqual([]);
    clock.advance(5000);
    expect(verdicts).toEqual(['idle-timeout']);
  });

  it('ends a busy session at its maximum lifetime', () => {
    const { clock, verdicts, liveness } = watch({});
    for (let i = 0; i < 39; i++) {
      clock.advance(500);
      liveness.touch();
    }
    clock.advance(499);
    expect(verdicts).toEqual([]);
    clock.advance(1);
    expect(verdicts).toEqual(['max-lifetime']);
  });

  it('disables idle and lifetime checks when set to 0', () => {
    const { clock, verdicts } = watch({}, { idleTimeoutMs: 0, maxLifetimeMs: 0 });
    clock.advance(1_000_000);
    expect(verdicts).toEqual([]);
  });

  it('ends the session when the client misses a probe', () => {
    let answers = 2;
    const { clock, verdicts } = watch({ client: () => answers-- > 0 });
    clock.advance(2000);
    expect(verdicts).toEqual([]);
    clock.advance(1000);
    expect(verdicts).toEqual(['client-unresponsive']);
  });

  it('keeps a session whose target answers every probe', () => {
    let probes = 0;
    const { clock, verdicts, liveness } = watch({
      target: (done) => {
        probes++;
        clock.setTimeout(() => done(true), 50);
      },
    });
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      liveness.touch();
    }
    expect(probes).toBe(4);
    expect(verdicts).toEqual([]);
  });

  it('ends the session when the target probe fails', () => {
    const { clock, verdicts } = watch({ target: (done) => done(false) });
    clock.advance(1000);
    expect(verdicts).toEqual(['target-unresponsive']);
  });

  it('ends the session when the target probe gets no reply within the probe timeout', () => {
    const { clock, verdicts } = watch({ target: () => {} });
    clock.advance(1299);
    expect(verdicts).toEqual([]);
    clock.advance(1);
    expect(verdicts).toEqual(['target-unresponsive']);
  });

  it('does not double up a probe still waiting for its reply', () => {
    let probes = 0;
    const { clock } = watch({ target: () => probes++ }, { probeTimeoutMs: 5000, idleTimeoutMs: 0 });
    clock.advance(3500);
    expect(probes).toBe(1);
  });

  it('leaves no timer behind once disposed or after a verdict', () => {
    const a = watch({ target: () => {} });
    a.clock.advance(1000);
    expect(a.clock.pendingTimers).toBeGreaterThan(0);
    a.liveness.dispose();
    expect(a.clock.pendingTimers).toBe(0);
    const b = watch({});
    b.clock.advance(5000);
    expect(b.verdicts).toEqual(['idle-timeout']);
    expect(b.clock.pendingTimers).toBe(0);
  });

  it('refuses nonsense options naming the option', () => {
    expect(() => watch({}, { intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => watch({}, { idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs/);
  });
});

import { describe, expect, it } from 'vitest';
import { CloseCode, describeClose, ENDS, wordsFor } from './ends.js';

describe('the table of ends', () => {
  it('names every close code in CloseCode exactly once as a primary entry', () => {
    const codes = new Set(ENDS.map((e) => e.code).filter((c) => c !== null));
    expect([...codes].sort()).toEqual(Object.values(CloseCode).sort());
  });

  it('has one entry per cause, and words free of internals', () => {
    const causes = ENDS.map((e) => e.cause);
    expect(new Set(causes).size).toBe(causes.length);
    for (const entry of ENDS) {
      expect(entry.words).not.toMatch(/\d+\.\d+\.\d+\.\d+|\/|E[A-Z]{3,}|:\d+/);
      expect(encodeURIComponent(entry.words).replace(/%../g, 'x').length).toBeLessThanOrEqual(123);
    }
  });
});

describe('describeClose', () => {
  it('says each end in words', () => {
    expect(describeClose(CloseCode.ShellExited, '', { exit: { code: 3, signal: null } })).toBe(
      'The shell exited with code 3',
    );
    expect(describeClose(CloseCode.ShellExited, '', { exit: { code: null, signal: 'KILL' } })).toBe(
      'The shell was killed by signal KILL',
    );
    expect(describeClose(CloseCode.IdleTimeout, '', { idleTimeoutMs: 1_800_000 })).toBe(
      'The session was idle for 30 minutes',
    );
    expect(describeClose(CloseCode.IdleTimeout, wordsFor('idle-timeout', { idleTimeoutMs: 5000 }))).toBe(
      'The session was idle for 5 seconds',
    );
    expect(describeClose(CloseCode.CannotConnect, 'cannot connect to 10.0.0.1:22')).toBe(
      'Cannot reach the host',
    );
    expect(describeClose(CloseCode.AuthFailed)).toBe('The host refused the login');
    expect(describeClose(CloseCode.TakenOver)).toBe('The console was opened elsewhere');
    expect(describeClose(1006)).toBe('The connection to the console server was lost');
    expect(describeClose(4999, 'odd')).toBe('Session ended: odd');
  });
});

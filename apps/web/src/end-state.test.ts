import { describe, expect, it } from 'vitest';
import { describeEnd, describeRefusal } from './end-state.js';

describe('end states in words', () => {
  it.each([
    [1000, '', { type: 'exit', code: 3, signal: null }, 'The shell exited with code 3'],
    [1000, '', { type: 'exit', code: null, signal: 'KILL' }, 'The shell was killed by signal KILL'],
    [4001, 'The session was idle for 30 minutes', undefined, 'The session was idle for 30 minutes'],
    [4010, 'cannot connect to 10.0.0.1:22', undefined, 'Cannot reach the host'],
    [4011, '', undefined, 'The host refused the login'],
    [4012, 'changed', undefined, "The host's key was rejected: it changed or is unknown"],
    [4013, '', undefined, 'The connection to the host was lost'],
    [1006, '', undefined, 'The connection to the console server was lost'],
  ] as const)('close %i (%s) reads: %s', (code, reason, exit, words) => {
    expect(describeEnd(code, reason, exit)).toBe(words);
  });

  it('explains refusals read back over HTTP', () => {
    expect(describeRefusal(403, { error: { code: 'origin_not_allowed', message: 'x' } })).toMatch(
      /origin not allowed/,
    );
    expect(
      describeRefusal(401, { error: { code: 'unauthorized', message: 'a valid token is required' } }),
    ).toBe('Not signed in: a valid token is required');
    expect(describeRefusal(401, { error: { code: 'unauthorized', message: 'the ticket has expired' } })).toBe(
      'Not signed in: the ticket has expired',
    );
    expect(describeRefusal(403, { error: { code: 'target_forbidden', message: 'alice may not' } })).toBe(
      'You are not allowed to open this target',
    );
    expect(describeRefusal(418, { error: { code: 'teapot', message: 'short and stout' } })).toBe(
      'Refused: short and stout',
    );
    expect(describeRefusal(502, 'garbage')).toBe('The console server refused the connection (HTTP 502)');
  });
});

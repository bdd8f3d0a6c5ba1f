import { describe, expect, it } from 'vitest';
import { chooseStart, urlNamingTarget } from './target-choice.js';

const vm1 = { id: 'vm1', label: 'VM 1' };
const vm2 = { id: 'vm2', label: 'VM 2' };

describe('chooseStart', () => {
  it('opens the target the URL names, with its label when the list knows it', () => {
    expect(chooseStart([vm1, vm2], 'vm2')).toEqual({ kind: 'open', target: vm2 });
    expect(chooseStart([vm1], 'elsewhere')).toEqual({
      kind: 'open',
      target: { id: 'elsewhere', label: 'elsewhere' },
    });
  });

  it('opens the only target straight away, and offers a choice of several', () => {
    expect(chooseStart([vm1], null)).toEqual({ kind: 'open', target: vm1 });
    expect(chooseStart([vm1, vm2], null)).toEqual({ kind: 'pick', targets: [vm1, vm2] });
    expect(chooseStart([vm1, vm2], '')).toEqual({ kind: 'pick', targets: [vm1, vm2] });
    expect(chooseStart([], null)).toEqual({ kind: 'none' });
  });
});

describe('urlNamingTarget', () => {
  it('adds or replaces ?target= and keeps every other parameter and the fragment', () => {
    expect(urlNamingTarget('http://127.0.0.1:8080/', 'vm1')).toBe('http://127.0.0.1:8080/?target=vm1');
    expect(urlNamingTarget('http://h/?token=abc&target=old&flow=none#x', 'vm 2')).toBe(
      'http://h/?token=abc&target=vm+2&flow=none#x',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { mayOpen, visibleTargets } from './access.js';
import type { Principal } from './auth.js';

const alice: Principal = { id: 'alice', authenticated: true, groups: ['ops'] };
const bob: Principal = { id: 'bob', authenticated: true, groups: [] };
const anonymous: Principal = { id: 'anonymous', authenticated: false };
const open = { id: 'open' };
const opsOnly = { id: 'db', allow: ['group:ops'] };
const bobOnly = { id: 'bobs', allow: ['bob'] };

describe('who may open a target', () => {
  it('lets everyone the auth mode let in open a target without an allow list', () => {
    for (const who of [alice, bob, anonymous]) expect(mayOpen(who, open)).toBe(true);
  });

  it('matches allow entries by principal id and by group:NAME', () => {
    expect(mayOpen(alice, opsOnly)).toBe(true);
    expect(mayOpen(bob, opsOnly)).toBe(false);
    expect(mayOpen(bob, bobOnly)).toBe(true);
    expect(mayOpen(alice, bobOnly)).toBe(false);
    // A principal named like a group entry is not in the group.
    expect(mayOpen({ id: 'group:ops', authenticated: true }, opsOnly)).toBe(false);
  });

  it("keeps a ticket to its targets claim, and to the target's allow list as well", () => {
    const ticket = (scope: Principal['scope']): Principal => ({ ...alice, scope });
    expect(mayOpen(ticket(['open']), open)).toBe(true);
    expect(mayOpen(ticket(['other']), open)).toBe(false);
    expect(mayOpen(ticket([]), open)).toBe(false);
    expect(mayOpen(ticket('*'), open)).toBe(true);
    expect(mayOpen(ticket('*'), bobOnly)).toBe(false);
    expect(mayOpen(ticket(['db']), opsOnly)).toBe(true);
  });

  it('lists only what may be opened, in configured order', () => {
    expect(visibleTargets(bob, [open, opsOnly, bobOnly]).map((t) => t.id)).toEqual(['open', 'bobs']);
    expect(visibleTargets({ ...alice, scope: ['db'] }, [open, opsOnly, bobOnly]).map((t) => t.id)).toEqual([
      'db',
    ]);
  });
});

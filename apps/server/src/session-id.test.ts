import { describe, expect, it } from 'vitest';
import { defaultNodeId, newSessionId, NODE_ID_PATTERN, nodeIdOf } from './session-id.js';

describe('session ids', () => {
  it('carry their node id before the dot and 96 random bits after it', () => {
    const id = newSessionId('n1');
    expect(id).toMatch(/^n1\.[A-Za-z0-9_-]{16}$/);
    expect(Buffer.from(id.slice(3), 'base64url')).toHaveLength(12);
    expect(nodeIdOf(id)).toBe('n1');
  });

  it('are never repeated', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newSessionId('n1')));
    expect(ids.size).toBe(10_000);
  });

  it('read the node id back from node ids with dashes and underscores', () => {
    expect(nodeIdOf(newSessionId('relay-eu_2'))).toBe('relay-eu_2');
  });

  it('find no node id in text that is not a session id', () => {
    for (const text of [
      '',
      'n1',
      'n1.',
      '.abcdefghijklmnop',
      'n1.short',
      'a.b.abcdefghijklmnop',
      'n 1.abcdefghijklmnop',
    ])
      expect(nodeIdOf(text), text).toBeUndefined();
  });
});

describe('defaultNodeId', () => {
  it('is the host name up to its first dot', () => {
    expect(defaultNodeId('web-1.example.com')).toBe('web-1');
  });

  it('turns what a node id may not hold into dashes and falls back to "node"', () => {
    expect(defaultNodeId('web 1')).toBe('web-1');
    expect(defaultNodeId('')).toBe('node');
    expect(defaultNodeId('.local')).toBe('node');
    expect(defaultNodeId('__')).toBe('node');
  });

  it('is always a valid node id', () => {
    for (const host of ['x'.repeat(200), 'é', 'a:b', 'localhost'])
      expect(defaultNodeId(host)).toMatch(NODE_ID_PATTERN);
  });
});

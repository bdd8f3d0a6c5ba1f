import { describe, expect, it } from 'vitest';
import { parseClientControl, parseServerControl, parseWatchControl } from './control.js';

describe('parseClientControl', () => {
  it('accepts resize and ack messages in range', () => {
    expect(parseClientControl('{"type":"resize","cols":120,"rows":40}')).toEqual({
      type: 'resize',
      cols: 120,
      rows: 40,
    });
    expect(parseClientControl('{"type":"ack","bytes":65536}')).toEqual({ type: 'ack', bytes: 65536 });
    expect(parseClientControl('{"type":"close"}')).toEqual({ type: 'close' });
    expect(parseClientControl('{"type":"share"}')).toEqual({ type: 'share' });
    expect(parseClientControl('{"type":"unshare"}')).toEqual({ type: 'unshare' });
  });

  it.each([
    ['{', 'malformed'],
    ['[1,2]', 'not-an-object'],
    ['null', 'not-an-object'],
    ['"resize"', 'not-an-object'],
    ['{"type":"resize","cols":0,"rows":10}', 'out-of-range'],
    ['{"type":"resize","cols":1001,"rows":10}', 'out-of-range'],
    ['{"type":"resize","cols":80.5,"rows":10}', 'out-of-range'],
    ['{"type":"resize","cols":"80","rows":10}', 'out-of-range'],
    ['{"type":"resize","cols":1e308,"rows":10}', 'out-of-range'],
    ['{"type":"ack","bytes":-1}', 'out-of-range'],
    ['{"type":"ack","bytes":99999999999999}', 'out-of-range'],
    ['{"type":"shell","cmd":"rm -rf /"}', 'unknown-type'],
    ['{"__proto__":{"type":"resize","cols":10,"rows":10}}', 'unknown-type'],
    ['{"type":{"toString":"resize"}}', 'unknown-type'],
  ])('ignores %s as %s', (text, reason) => {
    expect(parseClientControl(text)).toEqual({ ignored: reason });
  });

  it('survives deep nesting without throwing', () => {
    expect(parseClientControl('['.repeat(100_000))).toEqual({ ignored: 'malformed' });
    expect(parseClientControl('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))).toEqual({
      ignored: 'unknown-type',
    });
  });
});

describe('parseServerControl', () => {
  it('reads server control messages and ignores the rest', () => {
    expect(parseServerControl('{"type":"exit","code":3,"signal":null}')).toEqual({
      type: 'exit',
      code: 3,
      signal: null,
    });
    const ready = { type: 'ready', session: 'n1.abc', resume: 'tok', offset: 10, inputOffset: 2 };
    expect(parseServerControl(JSON.stringify(ready))).toEqual(ready);
    expect(parseServerControl('{"type":"ready","session":"abc"}')).toBeUndefined();
    expect(parseServerControl('{"type":"reset"}')).toEqual({ type: 'reset' });
    expect(parseServerControl('nope')).toBeUndefined();
    expect(parseServerControl('null')).toBeUndefined();
  });
});

describe('parseServerControl for sharing', () => {
  it('reads shared and watchers messages', () => {
    const shared = { type: 'shared', url: '/watch?session=n.x&key=k', expiresAt: '2030-01-01T00:00:00.000Z' };
    expect(parseServerControl(JSON.stringify(shared))).toEqual(shared);
    expect(parseServerControl('{"type":"shared","url":1}')).toBeUndefined();
    expect(parseServerControl('{"type":"watchers","count":2}')).toEqual({ type: 'watchers', count: 2 });
    expect(parseServerControl('{"type":"watchers","count":-1}')).toBeUndefined();
  });
});

describe('parseWatchControl', () => {
  it('reads a read-only ready, sizes, resets and exits, and nothing else', () => {
    expect(parseWatchControl('{"type":"ready","readonly":true,"cols":80,"rows":24}')).toEqual({
      type: 'ready',
      readonly: true,
      cols: 80,
      rows: 24,
    });
    expect(parseWatchControl('{"type":"ready","cols":80,"rows":24}')).toBeUndefined();
    expect(parseWatchControl('{"type":"size","cols":100,"rows":30}')).toEqual({
      type: 'size',
      cols: 100,
      rows: 30,
    });
    expect(parseWatchControl('{"type":"size","cols":0,"rows":30}')).toBeUndefined();
    expect(parseWatchControl('{"type":"reset"}')).toEqual({ type: 'reset' });
    expect(parseWatchControl('{"type":"exit","code":0,"signal":null}')).toEqual({
      type: 'exit',
      code: 0,
      signal: null,
    });
    expect(parseWatchControl('{"type":"shared"}')).toBeUndefined();
    expect(parseWatchControl('nope')).toBeUndefined();
  });
});

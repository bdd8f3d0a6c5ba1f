import { describe, expect, it } from 'vitest';
import { parseClientControl, parseServerControl } from './control.js';

describe('parseClientControl', () => {
  it('accepts resize and ack messages in range', () => {
    expect(parseClientControl('{"type":"resize","cols":120,"rows":40}')).toEqual({
      type: 'resize',
      cols: 120,
      rows: 40,
    });
    expect(parseClientControl('{"type":"ack","bytes":65536}')).toEqual({ type: 'ack', bytes: 65536 });
    expect(parseClientControl('{"type":"close"}')).toEqual({ type: 'close' });
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

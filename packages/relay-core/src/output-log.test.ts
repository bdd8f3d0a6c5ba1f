import { describe, expect, it } from 'vitest';
import { OutputLog } from './output-log.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('latin1');

describe('OutputLog', () => {
  it('reads from any offset it keeps, across chunk boundaries', () => {
    const log = new OutputLog(100);
    log.append(bytes('hello '));
    log.append(bytes('world'));
    expect(log.end).toBe(11);
    expect(text(log.read(0, 100))).toBe('hello world');
    expect(text(log.read(3, 100))).toBe('lo world');
    expect(text(log.read(6, 100))).toBe('world');
    expect(log.read(11, 100)).toEqual([]);
  });

  it('never drops what is not confirmed: it is full instead', () => {
    const log = new OutputLog(10);
    log.append(bytes('0123456789'));
    expect(log.full).toBe(true);
    log.append(bytes('abc'));
    expect(log.start).toBe(0);
    expect(text(log.read(0, 100))).toBe('0123456789abc');
  });

  it('drops confirmed bytes only as far as it must, keeping history while there is room', () => {
    const log = new OutputLog(10);
    log.append(bytes('01234'));
    log.confirm(5);
    expect(log.start).toBe(0);
    expect(log.full).toBe(false);
    log.append(bytes('56789abc'));
    expect(log.start).toBe(3);
    expect(text(log.read(0, 100))).toBe('3456789abc');
    expect(log.full).toBe(false);
    log.append(bytes('defg'));
    expect(log.start).toBe(5);
    expect(log.full).toBe(true);
  });

  it('clamps confirmations beyond the end and ignores ones that go back', () => {
    const log = new OutputLog(10);
    log.append(bytes('abc'));
    log.confirm(99);
    expect(log.confirmed).toBe(3);
    log.confirm(1);
    expect(log.confirmed).toBe(3);
  });

  it('reads at most about maxBytes, whole chunks', () => {
    const log = new OutputLog(100);
    for (let i = 0; i < 10; i++) log.append(bytes('x'.repeat(10)));
    expect(Buffer.concat(log.read(0, 25)).length).toBe(30);
  });
});

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

  it('reads the same bytes from any offset whatever was read, confirmed and dropped before', () => {
    const log = new OutputLog(64);
    const all: number[] = [];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), (seed >>> 8) % n);
    let cursor = 0;
    for (let step = 0; step < 2000; step++) {
      const action = random(4);
      if (action === 0 && !log.full) {
        const chunk = Buffer.alloc(1 + random(20), all.length % 251);
        for (let i = 0; i < chunk.length; i++) chunk[i] = (all.length + i) % 251;
        for (const byte of chunk) all.push(byte);
        log.append(chunk);
      } else if (action === 1) {
        const read = Buffer.concat(log.read(cursor, 1 + random(30)));
        expect([...read]).toEqual(all.slice(cursor, cursor + read.length));
        cursor += read.length;
      } else if (action === 2) {
        log.confirm(log.confirmed + random(cursor - log.confirmed + 1));
      } else {
        // A client coming back from an earlier offset it may still have.
        const from = log.start + random(log.end - log.start + 1);
        const read = Buffer.concat(log.read(from, 1 + random(30)));
        expect([...read]).toEqual(all.slice(from, from + read.length));
        if (from + read.length < log.end) expect(read.length).toBeGreaterThan(0);
      }
    }
    expect(Buffer.concat(log.read(log.start, Infinity)).length).toBe(log.end - log.start);
  });
});

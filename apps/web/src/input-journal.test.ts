import { describe, expect, it } from 'vitest';
import { InputJournal } from './input-journal.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c)).join('');

describe('InputJournal', () => {
  it('holds input typed before the first ready, and sends it once attached', () => {
    const journal = new InputJournal();
    expect(journal.write(bytes('ls'))).toBe(false);
    expect(text(journal.attach(0))).toBe('ls');
    expect(journal.write(bytes('\r'))).toBe(true);
  });

  it('re-sends exactly what the session did not take, then what was typed while away', () => {
    const journal = new InputJournal();
    journal.attach(10);
    journal.write(bytes('echo '));
    journal.write(bytes('one\r'));
    journal.detach();
    expect(journal.write(bytes('two\r'))).toBe(false);
    // The session took "echo o" (6 of the 9 bytes sent) before the socket died.
    expect(text(journal.attach(16))).toBe('ne\rtwo\r');
    // After the next drop the count says all of it arrived: nothing is sent twice.
    journal.detach();
    expect(journal.attach(23)).toEqual([]);
    expect(journal.keptBytes).toBe(0);
  });

  it('sends nothing again when everything arrived', () => {
    const journal = new InputJournal();
    journal.attach(0);
    journal.write(bytes('abc'));
    journal.detach();
    expect(journal.attach(3)).toEqual([]);
  });

  it("owes nothing when the count is beyond what it kept (another tab's input)", () => {
    const journal = new InputJournal();
    journal.attach(0);
    journal.write(bytes('abc'));
    journal.detach();
    expect(journal.attach(100)).toEqual([]);
    journal.write(bytes('d'));
    journal.detach();
    expect(text(journal.attach(100))).toBe('d');
  });

  it('keeps at most maxBytes, forgetting the oldest', () => {
    const journal = new InputJournal({ maxBytes: 4 });
    journal.attach(0);
    journal.write(bytes('abc'));
    journal.write(bytes('def'));
    expect(journal.keptBytes).toBe(4);
    journal.detach();
    expect(text(journal.attach(3))).toBe('def');
  });

  it('after forgetting bytes that never arrived, still sends the rest in order', () => {
    const journal = new InputJournal({ maxBytes: 4 });
    journal.attach(0);
    journal.write(bytes('abcdef'));
    journal.detach();
    // The session took only "a"; "b" was forgotten and cannot come back.
    expect(text(journal.attach(1))).toBe('cdef');
  });

  it('refuses a limit that keeps nothing', () => {
    expect(() => new InputJournal({ maxBytes: 0 })).toThrow(/maxBytes/);
  });
});

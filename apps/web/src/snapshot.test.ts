import headless from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { Snapshotter, type SnapshotTerminal } from './snapshot.js';

type Headless = InstanceType<typeof headless.Terminal>;

function terminal(cols = 40, rows = 6): Headless {
  // The headless terminal keeps its buffer behind the proposed-API flag; the browser one does not.
  return new headless.Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true });
}

const write = (term: Headless, data: string) => new Promise<void>((resolve) => term.write(data, resolve));

function lines(term: Headless): string[] {
  const buffer = term.buffer.active;
  return Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)?.translateToString(true) ?? '');
}

function state(term: Headless) {
  const buffer = term.buffer.active;
  return {
    lines: lines(term),
    cursor: [buffer.cursorX, buffer.cursorY],
    baseY: buffer.baseY,
    type: buffer.type,
    modes: term.modes,
  };
}

const asSnapshotTerminal = (term: Headless) => term as unknown as SnapshotTerminal;

describe('Snapshotter', () => {
  it('brings back screen, scrollback, colours and cursor exactly', async () => {
    const before = terminal();
    const taker = new Snapshotter(asSnapshotTerminal(before));
    let output = '';
    for (let i = 1; i <= 30; i++) output += `line ${i}\r\n`;
    output += '\x1b[31mred\x1b[0m \x1b[1mbold\x1b[0m\r\n$ half-typed';
    await write(before, output);
    const snap = taker.take();

    const after = terminal();
    await write(after, 'something else on the screen first\r\n');
    await new Snapshotter(asSnapshotTerminal(after)).restore(snap);
    expect(state(after)).toEqual(state(before));
    // Colour survives: the cell of "r" in "red" is red (palette 1) in both.
    const row = after.buffer.active.getLine(lines(after).indexOf('red bold'));
    expect(row?.getCell(0)?.getFgColor()).toBe(1);
    // And what follows the snapshot continues where the cursor was.
    await write(after, 'ls');
    const buffer = after.buffer.active;
    expect(lines(after)[buffer.baseY + buffer.cursorY]).toBe('$ half-typedls');
  });

  it('keeps a full-screen program on the alternate screen, with its modes', async () => {
    const before = terminal();
    const taker = new Snapshotter(asSnapshotTerminal(before));
    await write(before, 'shell history\r\n$ vim\r\n\x1b[?1049h\x1b[?2004h\x1b[?1h\x1b[2;3Hediting');
    const after = terminal();
    await new Snapshotter(asSnapshotTerminal(after)).restore(taker.take());
    expect(state(after)).toEqual(state(before));
    expect(after.buffer.active.type).toBe('alternate');
    expect(after.modes.bracketedPasteMode).toBe(true);
    expect(after.modes.applicationCursorKeysMode).toBe(true);
  });

  it('restores at the size it was taken, whatever size the new terminal had', async () => {
    const before = terminal(30, 5);
    const taker = new Snapshotter(asSnapshotTerminal(before));
    await write(before, 'a'.repeat(45) + '\r\nnext');
    const after = terminal(80, 24);
    await new Snapshotter(asSnapshotTerminal(after)).restore(taker.take());
    expect([after.cols, after.rows]).toEqual([30, 5]);
    expect(state(after)).toEqual(state(before));
  });
});

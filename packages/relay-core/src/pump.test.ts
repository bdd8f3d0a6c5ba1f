import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pump } from './pump.js';

/** A writable that accepts nothing until `open()`, holding at most `highWaterMark` bytes. */
function gatedSink(highWaterMark: number) {
  const received: Buffer[] = [];
  let gate: (() => void) | undefined;
  let open = false;
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, callback) {
      received.push(chunk);
      if (open) callback();
      else gate = callback;
    },
  });
  return {
    sink,
    received,
    open: () => {
      open = true;
      gate?.();
      gate = undefined;
    },
  };
}

describe('pump', () => {
  it('pauses the source while the destination does not drain, then delivers every byte in order', async () => {
    const source = new PassThrough({ highWaterMark: 1024 });
    const { sink, received, open } = gatedSink(4096);
    let pauses = 0;
    let counted = 0;
    const p = pump(source, sink, { onPause: () => pauses++, onBytes: (n) => (counted += n) });
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1000, i % 251));
    let accepted = 0;
    for (const chunk of chunks) if (source.write(chunk)) accepted++;
    await new Promise((r) => setTimeout(r, 20));
    expect(pauses).toBe(1);
    expect(source.isPaused()).toBe(true);
    // The destination holds no more than its high-water mark plus one chunk while stalled.
    expect(sink.writableLength).toBeLessThanOrEqual(4096 + 1000);
    expect(accepted).toBeLessThan(chunks.length);
    open();
    source.end();
    await new Promise((r) => source.once('end', r));
    await p.flushed();
    expect(Buffer.concat(received).equals(Buffer.concat(chunks))).toBe(true);
    expect(counted).toBe(200 * 1000);
  });

  it('flushed() waits for the destination to accept the last write', async () => {
    const source = new PassThrough();
    const { sink, open } = gatedSink(1 << 20);
    const p = pump(source, sink);
    source.write(Buffer.from('abc'));
    await new Promise((r) => setTimeout(r, 10));
    let flushed = false;
    void p.flushed().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(flushed).toBe(false);
    open();
    await new Promise((r) => setTimeout(r, 10));
    expect(flushed).toBe(true);
  });

  it('stops relaying once disposed', async () => {
    const source = new PassThrough();
    const { sink, received, open } = gatedSink(1 << 20);
    open();
    const p = pump(source, sink);
    source.write(Buffer.from('one'));
    await new Promise((r) => setTimeout(r, 10));
    p.dispose();
    source.write(Buffer.from('two'));
    await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.concat(received).toString()).toBe('one');
  });
});

import { describe, expect, it } from 'vitest';
import { duplexPair } from './duplex-pair.js';

async function transfer(readerPausesFor: number, flowingReaderReadsMore: boolean): Promise<boolean> {
  const [a, b] = duplexPair({ highWaterMark: 1024 });
  let expected = 0;
  let ok = true;
  b.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte !== (expected++ & 0xff)) ok = false;
    // A reader that answers inside its 'data' handler (as an SSH client sends a window adjust).
    if (flowingReaderReadsMore) b.read(0);
  });
  b.pause();
  setTimeout(() => b.resume(), readerPausesFor);
  const ended = new Promise((r) => b.once('end', r));
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < 300_000) {
        const len = 1 + ((sent * 7919) % 5000);
        const chunk = Buffer.alloc(len);
        for (let i = 0; i < len; i++) chunk[i] = (sent + i) & 0xff;
        sent += len;
        if (!a.write(chunk)) return void a.once('drain', pump);
      }
      a.end();
      resolve();
    };
    pump();
  });
  await ended;
  return ok && expected === sent;
}

describe('duplexPair', () => {
  it('delivers every byte in order through backpressure', async () => {
    expect(await transfer(50, false)).toBe(true);
  });

  it('never strands a write when the reader asks for more from inside its data handler', async () => {
    expect(await transfer(0, true)).toBe(true);
    expect(await transfer(30, true)).toBe(true);
  });

  it("delivers on a later tick, never inside the writer's call stack", async () => {
    const [a, b] = duplexPair();
    let delivered = false;
    b.on('data', () => (delivered = true));
    a.write(Buffer.from('x'));
    expect(delivered).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(delivered).toBe(true);
  });

  it('destroys the peer with it', () => {
    const [a, b] = duplexPair();
    a.destroy();
    expect(b.destroyed).toBe(true);
  });
});

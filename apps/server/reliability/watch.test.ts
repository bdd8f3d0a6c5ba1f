// Read-only watchers under a flood: ten watchers that stopped reading on a session whose remote floods
// keep the server's memory within what their buffers allow (each is skipped forward, never buffered
// without end), the owner's output keeps flowing, and every watcher comes back to live output.
import type { Socket } from 'node:net';
import { startTermrelayProcess, type TermrelayProcess } from '@termrelay/server/testing';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { targetConfig } from '../src/testing/harness.js';
import { record, rssOf, size } from './support.js';

const MiB = 2 ** 20;
const WATCHERS = 10;
/** Each watcher's allowance (`console.outputBufferBytes`, its default). */
const WATCHER_BUFFER = 1 * MiB;
/**
 * What one stalled watcher may hold at most: its queue (up to the allowance; beyond it output is skipped)
 * and what ws still buffers for its socket (under the allowance when a frame is sent, plus that frame).
 */
const WATCHER_HOLDS = 3 * WATCHER_BUFFER;
/** How long the remote floods with every watcher stalled. */
const FLOOD_MS = size(6_000, 30_000);
/** Beyond the watchers' buffers: their socket buffers, frames in flight and the allocator's slack. */
const SLACK = 24 * MiB;

let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

/** A raw socket that counts binary bytes (and keeps none) and the text controls it gets. */
class Peer {
  bytes = 0;
  text = '';
  readonly controls: Record<string, unknown>[] = [];
  readonly ready: Promise<void>;
  readonly closed: Promise<number>;
  constructor(
    readonly ws: WebSocket,
    private readonly keepText = false,
  ) {
    this.ready = new Promise((resolve, reject) => {
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (binary) {
          this.bytes += data.length;
          if (this.keepText) this.text = (this.text + data.toString('latin1')).slice(-4096);
          return;
        }
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        this.controls.push(message);
        if (message.type === 'ready') resolve();
      });
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }
  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }
  async waitFor(what: () => boolean, label: string, timeoutMs = 20_000): Promise<void> {
    const started = Date.now();
    while (!what()) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${label}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function connect(proc: TermrelayProcess, path: string, keepText = false): Peer {
  return new Peer(new WebSocket(`${proc.wsUrl}${path}`, { origin: proc.origin }), keepText);
}

async function flood(owner: Peer, ms: number, sample: () => void): Promise<number> {
  const from = owner.bytes;
  owner.ws.send(Buffer.from('yes 0123456789abcdefghijklmnopqrstuvwxyz\n'), { binary: true });
  const started = Date.now();
  while (Date.now() - started < ms) {
    sample();
    await new Promise((r) => setTimeout(r, 100));
  }
  owner.ws.send(Buffer.from('\x03'), { binary: true });
  return owner.bytes - from;
}

describe('watchers', () => {
  it(`${WATCHERS} stalled watchers on a flooding session keep server memory within their buffers`, async () => {
    const proc = await startTermrelayProcess({
      targets: [targetConfig(sshd)],
      console: { idleTimeoutMs: 0, maxWatchers: WATCHERS, outputBufferBytes: WATCHER_BUFFER },
    });
    try {
      const owner = connect(proc, '/api/targets/vm1/console?cols=80&rows=24', true);
      await owner.ready;
      owner.ws.send(Buffer.from('stty -echo\n'), { binary: true });
      // The same flood alone first: its peak is what a flood costs anyway (pools, socket buffers, the
      // collector's pace), the baseline the watchers are measured against.
      const idle = rssOf(proc.pid);
      let baseline = idle;
      const alone = await flood(owner, FLOOD_MS, () => (baseline = Math.max(baseline, rssOf(proc.pid))));
      await owner.waitFor(() => owner.text.endsWith('$ '), 'the prompt after the flood alone');

      owner.ws.send(JSON.stringify({ type: 'share' }));
      await owner.waitFor(() => owner.controls.some((c) => c.type === 'shared'), 'the watch link');
      const link = new URL(String(owner.controls.find((c) => c.type === 'shared')!.url), proc.origin);
      const session = link.searchParams.get('session')!;
      const key = link.searchParams.get('key')!;
      const watchers = Array.from({ length: WATCHERS }, () =>
        connect(proc, `/api/sessions/${session}/watch?key=${encodeURIComponent(key)}`, true),
      );
      await Promise.all(watchers.map((w) => w.ready));
      for (const w of watchers) w.socket.pause();

      let peak = baseline;
      const samples: number[] = [];
      const bytes = await flood(owner, FLOOD_MS, () => {
        const rss = rssOf(proc.pid);
        samples.push(rss);
        peak = Math.max(peak, rss);
      });
      const growth = peak - baseline;
      // The later half of the flood holds no more than the earlier half did, plus slack: no creep.
      const half = Math.floor(samples.length / 2);
      const earlyPeak = Math.max(...samples.slice(0, half));
      const latePeak = Math.max(...samples.slice(half));

      // Back to reading: each watcher is told it was skipped forward, then follows live output again.
      for (const w of watchers) w.socket.resume();
      owner.ws.send(Buffer.from('echo AFTER-$((8+8))\n'), { binary: true });
      await owner.waitFor(() => owner.text.includes('AFTER-16'), 'the owner’s echo');
      await Promise.all(
        watchers.map((w) =>
          w.waitFor(
            () => w.text.includes('AFTER-16'),
            `a watcher to see live output (it got ${w.bytes} bytes and ${JSON.stringify(w.controls)})`,
          ),
        ),
      );
      const received = watchers.map((w) => w.bytes);
      record('watchers-stalled-flood-memory', {
        watchers: WATCHERS,
        watcherBufferMiB: WATCHER_BUFFER / MiB,
        floodMs: FLOOD_MS,
        ownerMiB: +(bytes / MiB).toFixed(0),
        ownerAloneMiBPerS: +(alone / MiB / (FLOOD_MS / 1000)).toFixed(1),
        ownerWithWatchersMiBPerS: +(bytes / MiB / (FLOOD_MS / 1000)).toFixed(1),
        idleRssMiB: +(idle / MiB).toFixed(1),
        floodAlonePeakRssMiB: +(baseline / MiB).toFixed(1),
        peakRssMiB: +(peak / MiB).toFixed(1),
        growthMiB: +(growth / MiB).toFixed(1),
        earlyHalfPeakMiB: +(earlyPeak / MiB).toFixed(1),
        lateHalfPeakMiB: +(latePeak / MiB).toFixed(1),
        maxWatcherReceivedMiB: +(Math.max(...received) / MiB).toFixed(1),
        resets: watchers.filter((w) => w.controls.some((c) => c.type === 'reset')).length,
      });
      // Worth measuring only if the flood dwarfs what the watchers may hold.
      expect(bytes).toBeGreaterThan(4 * WATCHERS * WATCHER_BUFFER);
      expect(growth).toBeLessThan(WATCHERS * WATCHER_HOLDS + SLACK);
      expect(latePeak - earlyPeak).toBeLessThan(SLACK / 2);
      expect(watchers.every((w) => w.controls.some((c) => c.type === 'reset'))).toBe(true);
      expect(Math.max(...received)).toBeLessThan(bytes / 2);

      owner.ws.send(JSON.stringify({ type: 'close' }));
      expect(await owner.closed).toBe(1000);
      expect(await Promise.all(watchers.map((w) => w.closed))).toEqual(watchers.map(() => 1000));
    } finally {
      proc.stop();
    }
  });
});

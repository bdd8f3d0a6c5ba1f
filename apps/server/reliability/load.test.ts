// Load and leaks: many concurrent sessions, thousands of open/close cycles, and a large payload through a
// client that stalls at random — no errors, nothing left behind, no byte lost.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, startTestServer, type TestServer } from '../src/testing/harness.js';
import { percentile, record, size, timeoutFor } from './support.js';

const SESSIONS = size(50, 200);
const ECHO_SECONDS = size(5, 30);
/** 200 sessions opened and echoed for 30 s in 34 s on the 2-core machine; this allows 0.5 s to open each. */
const MS_PER_SESSION = 500;
const CYCLES = size(200, 2000);
/** 2,000 open/close cycles took 48-80 s on the 2-core machine, and 230 s while it was busy (115 ms each). */
const MS_PER_CYCLE = 250;
const PAYLOAD_MIB = size(20, 200);
/** 200 MiB reached the stalling client in 5.4 s on the 2-core machine; this allows 2 MiB/s. */
const MS_PER_MIB = 500;

let sshd: TestSshd;
let server: TestServer;

beforeAll(async () => {
  sshd = await startSshd();
  server = await startTestServer(sshd, { console: { idleTimeoutMs: 0, writeTimeoutMs: 60_000 } });
});
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
});

async function open(): Promise<ConsoleClient> {
  const client = ConsoleClient.open(server.consoleUrl());
  await client.ready(30_000);
  return client;
}

function resources() {
  const kinds = process.getActiveResourcesInfo();
  const count = (kind: string) => kinds.filter((k) => k === kind).length;
  return {
    fds: readdirSync('/proc/self/fd').length,
    handles: kinds.filter((k) => k !== 'Timeout' && k !== 'Immediate').length,
    timers: count('Timeout'),
    rss: process.memoryUsage().rss,
    heap: process.memoryUsage().heapUsed,
  };
}

async function settle(): Promise<void> {
  const started = Date.now();
  while (server.relay.sessions.size > 0 && Date.now() - started < 10_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 300));
  global.gc?.();
}

describe('load and leaks', () => {
  it(
    'serves many concurrent sessions echoing in a loop with no errors',
    async () => {
      const sessions = SESSIONS;
      const seconds = ECHO_SECONDS;
      const clients = await Promise.all(Array.from({ length: sessions }, () => open()));
      const latencies: number[] = [];
      let errors = 0;
      const deadline = Date.now() + seconds * 1000;
      await Promise.all(
        clients.map(async (client, i) => {
          let n = 0;
          while (Date.now() < deadline) {
            const tag = `s${i}n${n++}z`;
            const from = client.output.length;
            const started = performance.now();
            client.type(`echo ${tag}\n`);
            try {
              await client.waitFor(new RegExp(`[\\r\\n]${tag}\\r`), 10_000, from);
              latencies.push(performance.now() - started);
            } catch {
              errors++;
            }
          }
        }),
      );
      for (const c of clients) c.ws.close();
      await settle();
      const figure = {
        sessions,
        seconds,
        echoes: latencies.length,
        errors,
        p50Ms: +percentile(latencies, 50).toFixed(1),
        p99Ms: +percentile(latencies, 99).toFixed(1),
        maxMs: +Math.max(...latencies).toFixed(1),
      };
      record('concurrent-echo', figure);
      expect(errors).toBe(0);
      expect(latencies.length).toBeGreaterThan(sessions * 5);
    },
    timeoutFor(SESSIONS, MS_PER_SESSION, 60_000 + ECHO_SECONDS * 1000),
  );

  it(
    'returns to its baseline of fds, handles and timers after many open/close cycles',
    async () => {
      const cycles = CYCLES;
      // Warm up once so lazily created pools and caches are part of the baseline.
      for (let i = 0; i < 10; i++) {
        const c = await open();
        c.ws.close();
        await c.closed;
      }
      await settle();
      const before = resources();
      const batch = 10;
      for (let i = 0; i < cycles; i += batch) {
        await Promise.all(
          Array.from({ length: batch }, async (_, j) => {
            const client = await open();
            if ((i + j) % 2 === 0) client.ws.close();
            else client.type('exit\n');
            await client.closed;
          }),
        );
      }
      await settle();
      const after = resources();
      record('open-close-cycles', {
        cycles,
        fds: [before.fds, after.fds],
        handles: [before.handles, after.handles],
        timers: [before.timers, after.timers],
        rssMiB: [+(before.rss / 2 ** 20).toFixed(1), +(after.rss / 2 ** 20).toFixed(1)],
        heapMiB: [+(before.heap / 2 ** 20).toFixed(1), +(after.heap / 2 ** 20).toFixed(1)],
      });
      expect(server.relay.sessions.size).toBe(0);
      expect(after.fds - before.fds).toBeLessThanOrEqual(4);
      expect(after.handles - before.handles).toBeLessThanOrEqual(4);
      expect(after.timers - before.timers).toBeLessThanOrEqual(4);
      // The heap after a collection is the leak signal; RSS also holds what V8 has not returned to the system.
      expect(global.gc, 'run with --expose-gc (vitest.reliability.config.ts)').toBeTypeOf('function');
      expect(after.heap - before.heap).toBeLessThan(16 * 2 ** 20);
      expect(after.rss - before.rss).toBeLessThan(64 * 2 ** 20);
    },
    timeoutFor(CYCLES, MS_PER_CYCLE),
  );

  it(
    'delivers a large payload byte for byte to a client that stalls and resumes at random',
    async () => {
      const bytes = PAYLOAD_MIB * 2 ** 20;
      const client = await open();
      const socket = (client.ws as unknown as { _socket: Socket })._socket;
      // Raw mode: the PTY passes bytes through untouched, so the hash on both ends must agree.
      client.type('stty raw -echo\n');
      await new Promise((r) => setTimeout(r, 300));
      const from = client.output.length;
      client.type(
        `f=$(mktemp); head -c ${bytes} /dev/urandom > $f; printf 'H:%s:' $(sha256sum < $f | cut -c1-64); cat $f; rm $f; printf ':Z'\n`,
      );
      let stalls = 0;
      let running = true;
      const jitter = (async () => {
        while (running) {
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
          if (!running) break;
          socket.pause();
          stalls++;
          await new Promise((r) => setTimeout(r, Math.random() * 300));
          socket.resume();
        }
      })();
      const header = await client.waitFor(/H:([0-9a-f]{64}):/, 60_000, from);
      const start = header.index + header[0].length;
      const started = Date.now();
      while (client.receivedBytes < start + bytes + 2 && Date.now() - started < PAYLOAD_MIB * MS_PER_MIB) {
        await new Promise((r) => setTimeout(r, 50));
      }
      running = false;
      await jitter;
      socket.resume();
      const body = Buffer.from(client.output.slice(start, start + bytes), 'latin1');
      const hash = createHash('sha256').update(body).digest('hex');
      record('stall-resume-payload', {
        MiB: bytes / 2 ** 20,
        stalls,
        seconds: (Date.now() - started) / 1000,
        match: hash === header[1],
      });
      expect(body.length).toBe(bytes);
      expect(hash).toBe(header[1]);
      client.ws.close();
    },
    timeoutFor(PAYLOAD_MIB, MS_PER_MIB),
  );
});

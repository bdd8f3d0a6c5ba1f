// Sessions that outlive their connection, at scale and over time: many sessions dropped and resumed at
// once, the memory a detached session holds while its remote keeps producing, and what a session that
// nobody comes back to leaves behind when its grace runs out.
import { readdirSync } from 'node:fs';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, metricValue, processAlive, type TestServer } from '../src/testing/harness.js';
import { percentile, record, size, timeoutFor, withServer } from './support.js';

const DROPPED = size(100, 300);
/** 100 sessions opened, dropped and resumed took 2-3 s on the 2-core machine; 0.5 s each leaves room for a busy one. */
const MS_PER_DROPPED = 500;
const EXPIRED = size(20, 100);
const MiB = 2 ** 20;

let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

async function open(server: TestServer, query = ''): Promise<ConsoleClient> {
  const client = ConsoleClient.open(server.consoleUrl('vm1', query), { ack: query.includes('flow=ack') });
  await client.ready(30_000);
  return client;
}

async function shellPid(client: ConsoleClient): Promise<number> {
  const from = client.output.length;
  client.type('echo PID=$$.\n');
  return Number((await client.waitFor(/PID=(\d+)\./, 10_000, from))[1]);
}

async function stillEchoes(client: ConsoleClient, tag: string): Promise<void> {
  const from = client.output.length;
  client.type(`echo ${tag}-$((40+2))\n`);
  await client.waitFor(new RegExp(`${tag}-42`), 10_000, from);
}

async function until(
  done: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<number> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

function resources() {
  const kinds = process.getActiveResourcesInfo();
  global.gc?.();
  return {
    fds: readdirSync('/proc/self/fd').length,
    handles: kinds.filter((k) => k !== 'Timeout' && k !== 'Immediate').length,
    timers: kinds.filter((k) => k === 'Timeout').length,
  };
}

/**
 * What the process holds after a collection: JS objects plus memory outside the heap (`external`), and of
 * the latter the buffers alone (`arrayBuffers`), where the output log lives.
 */
function held(): { total: number; buffers: number } {
  global.gc?.();
  const usage = process.memoryUsage();
  return { total: usage.heapUsed + usage.external, buffers: usage.arrayBuffers };
}

describe('resume under load', () => {
  it(
    `resumes ${DROPPED} sessions dropped at once: all come back to the same shell, and all still echo`,
    async () => {
      await withServer(sshd, { console: { idleTimeoutMs: 0 } }, async (server, audit) => {
        const clients = await Promise.all(Array.from({ length: DROPPED }, () => open(server)));
        const pids = await Promise.all(clients.map((c) => shellPid(c)));
        await Promise.all(clients.map((c, i) => (c.type(`MARK=m${i}z\n`), stillEchoes(c, `before${i}`))));

        for (const c of clients) c.drop();
        await Promise.all(clients.map((c) => c.closed));
        const detachMs = await until(
          async () => (await metricValue(server, 'termrelay_sessions_detached')) === DROPPED,
          `${DROPPED} detached sessions`,
        );

        const started = performance.now();
        const latencies: number[] = [];
        const resumed = await Promise.all(
          clients.map(async (c) => {
            const back = ConsoleClient.open(server.resumeUrl(c.lastReady, c.outputOffset));
            await back.ready(30_000);
            latencies.push(performance.now() - started);
            return back;
          }),
        );
        const allMs = performance.now() - started;
        expect(await metricValue(server, 'termrelay_sessions_detached')).toBe(0);
        expect(await metricValue(server, 'termrelay_resumes_total', 'outcome="resumed"')).toBe(DROPPED);
        expect(resumed.every((r, i) => r.lastReady.offset === clients[i]!.outputOffset)).toBe(true);
        expect(resumed.every((r) => !r.controls.some((c) => c.type === 'reset'))).toBe(true);

        const after = await Promise.all(resumed.map((r) => shellPid(r)));
        expect(after).toEqual(pids);
        await Promise.all(
          resumed.map(async (r, i) => {
            const from = r.output.length;
            r.type('echo MARK=$MARK.\n');
            await r.waitFor(new RegExp(`MARK=m${i}z\\.`), 10_000, from);
            await stillEchoes(r, `after${i}`);
          }),
        );
        record('resume-many-at-once', {
          sessions: DROPPED,
          detachedAllMs: detachMs,
          resumedAllMs: Math.round(allMs),
          readyP50Ms: Math.round(percentile(latencies, 50)),
          readyP99Ms: Math.round(percentile(latencies, 99)),
          samePids: true,
        });
        for (const r of resumed) r.ws.close();
        await Promise.all(resumed.map((r) => r.closed));
        await until(() => server.relay.sessions.size === 0, 'every session to end');
        expect(await audit.settled()).toBe(true);
      });
    },
    timeoutFor(DROPPED, MS_PER_DROPPED),
  );

  it('holds a detached session whose remote keeps producing within resumeBufferBytes + 1 MiB, and the remote waits', async () => {
    const bufferBytes = 1 * MiB;
    await withServer(
      sshd,
      { console: { idleTimeoutMs: 0, resumeBufferBytes: bufferBytes } },
      async (server) => {
        const client = await open(server, '?flow=ack');
        client.type('stty -echo\n');
        await stillEchoes(client, 'warm');
        // What earlier tests left for the collector is collected before the baseline, not during the measure.
        await new Promise((r) => setTimeout(r, 1000));
        held();
        await new Promise((r) => setTimeout(r, 300));
        const baseline = held();
        const session = [...server.relay.sessions.values()][0]!;
        const log = session.session.log;

        client.type('yes to-the-buffer\n');
        await client.waitFor(/to-the-buffer\r\n/);
        client.drop();
        await client.closed;
        await until(
          async () => (await metricValue(server, 'termrelay_sessions_detached')) === 1,
          'the detach',
        );
        // The log fills with what the client may not have, then the relay stops reading: its end stops moving.
        await until(() => log.full, 'the output log to fill', 20_000);
        const filledAt = log.end;
        const peak = { total: 0, buffers: 0 };
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, 300));
          const now = held();
          peak.total = Math.max(peak.total, now.total);
          peak.buffers = Math.max(peak.buffers, now.buffers);
        }
        const growth = peak.total - baseline.total;
        const stalled = log.end - filledAt;
        record('detached-producer-memory', {
          resumeBufferMiB: bufferBytes / MiB,
          logBytes: log.size,
          growthMiB: +(growth / MiB).toFixed(2),
          bufferGrowthMiB: +((peak.buffers - baseline.buffers) / MiB).toFixed(2),
          bytesTakenAfterFullOver3s: stalled,
          measure: 'heapUsed + external (and arrayBuffers) after gc, in process, peak of 10 samples over 3 s',
        });
        expect(growth).toBeLessThan(bufferBytes + MiB);
        expect(peak.buffers - baseline.buffers).toBeLessThan(bufferBytes + MiB);
        expect(stalled).toBeLessThan(bufferBytes);

        // The remote waited rather than died: resuming lets it run again.
        const back = ConsoleClient.open(
          server.resumeUrl(client.lastReady, client.outputOffset, '&flow=ack'),
          {
            ack: true,
          },
        );
        await back.ready();
        const before = back.receivedBytes;
        await until(() => back.receivedBytes > before + 4 * bufferBytes, 'the remote to run again');
        back.type('\x03');
        await stillEchoes(back, 'after');
        back.ws.close();
        await back.closed;
      },
    );
  });

  it(`leaves no fd, timer or credential behind when the grace of ${EXPIRED} detached sessions runs out`, async () => {
    const graceMs = 500;
    await withServer(sshd, { console: { resumeGraceMs: graceMs } }, async (server, audit) => {
      // Warm up once so lazily created pools and caches are part of the baseline.
      const warm = await open(server);
      warm.ws.close();
      await warm.closed;
      await until(() => server.relay.sessions.size === 0, 'the warm-up session to end');
      await new Promise((r) => setTimeout(r, 300));
      const before = resources();

      const clients = await Promise.all(Array.from({ length: EXPIRED }, () => open(server)));
      const pids = await Promise.all(clients.map((c) => shellPid(c)));
      for (const c of clients) c.drop();
      await Promise.all(clients.map((c) => c.closed));
      const started = Date.now();
      await until(() => server.relay.sessions.size === 0, 'every session to expire');
      const expiredMs = Date.now() - started;
      await until(() => pids.every((pid) => !processAlive(pid)), 'every shell to exit', 10_000);
      await new Promise((r) => setTimeout(r, 300));
      const after = resources();
      const expired = await metricValue(server, 'termrelay_sessions_ended_total', 'cause="detached-timeout"');
      const settled = await audit.settled();
      record('grace-expiry-leaks', {
        sessions: EXPIRED,
        graceMs,
        allExpiredMs: expiredMs,
        fds: [before.fds, after.fds],
        handles: [before.handles, after.handles],
        timers: [before.timers, after.timers],
        credentialsReleasedOnce: settled,
      });
      expect(expired).toBe(EXPIRED);
      expect(settled).toBe(true);
      expect(audit.sessions.length).toBe(EXPIRED + 1);
      expect(after.fds - before.fds).toBeLessThanOrEqual(2);
      expect(after.handles - before.handles).toBeLessThanOrEqual(2);
      expect(after.timers - before.timers).toBeLessThanOrEqual(0);
    });
  });
});

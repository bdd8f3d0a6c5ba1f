// Faults on either side end only the affected session, with the right close code, within its bound;
// every other session keeps working, and credentials are released exactly once each time.
import { createServer, type Socket } from 'node:net';
import { startTermrelayProcess } from '@termrelay/server/testing';
import { freePort, startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, metricValue, targetConfig, type TestServer } from '../src/testing/harness.js';
import { record, rssOf, withServer } from './support.js';

let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

const LIVENESS = { livenessIntervalMs: 500, probeTimeoutMs: 500 };

async function open(server: TestServer, options = {}): Promise<ConsoleClient> {
  const client = ConsoleClient.open(server.consoleUrl(), options);
  await client.ready();
  return client;
}

describe('faults', () => {
  it('a frozen target (SIGSTOP) ends its session with 4003 within interval + probe timeout; others carry on', async () => {
    await withServer(sshd, { console: LIVENESS }, async (server, audit) => {
      const [victim, bystander] = [await open(server), await open(server)];
      const pid = await victim.shellParent();
      process.kill(pid, 'SIGSTOP');
      const started = Date.now();
      try {
        expect((await victim.closed).code).toBe(4003);
        const detectMs = Date.now() - started;
        record('target-freeze', { detectMs, boundMs: 1000 });
        expect(detectMs).toBeLessThan(500 + 500 + 500);
      } finally {
        process.kill(pid, 'SIGKILL');
        process.kill(pid, 'SIGCONT');
      }
      await bystander.echoes('bystander');
      bystander.ws.close();
      await bystander.closed;
      expect(await audit.settled()).toBe(true);
    });
  });

  it('a killed session process ends its session at once (4013); others carry on', async () => {
    await withServer(sshd, {}, async (server, audit) => {
      const [victim, bystander] = [await open(server), await open(server)];
      const pid = await victim.shellParent();
      const started = Date.now();
      process.kill(pid, 'SIGKILL');
      expect((await victim.closed).code).toBe(4013);
      record('target-session-killed', { detectMs: Date.now() - started });
      expect(Date.now() - started).toBeLessThan(1000);
      await bystander.echoes('bystander');
      bystander.ws.close();
      await bystander.closed;
      expect(await audit.settled()).toBe(true);
    });
  });

  it('a whole sshd dying ends its sessions at once; sessions on another target carry on', async () => {
    const doomed = await startSshd();
    await withServer(
      sshd,
      { targets: [targetConfig(sshd, 'vm1'), targetConfig(doomed, 'doomed')] },
      async (server, audit) => {
        const victims = await Promise.all(
          [1, 2].map(async () => {
            const c = ConsoleClient.open(server.consoleUrl('doomed'));
            await c.ready();
            return c;
          }),
        );
        const bystander = await open(server);
        const started = Date.now();
        await doomed.stop();
        const codes = await Promise.all(victims.map(async (v) => (await v.closed).code));
        expect(codes).toEqual([4013, 4013]);
        record('target-sshd-killed', { detectMs: Date.now() - started, sessions: victims.length });
        expect(Date.now() - started).toBeLessThan(2000);
        await bystander.echoes('bystander');
        bystander.ws.close();
        await bystander.closed;
        expect(await audit.settled()).toBe(true);
      },
    );
  });

  it('a browser that vanishes without a close frame is ended with 4004 at the next liveness check (resume off)', async () => {
    await withServer(sshd, { console: { ...LIVENESS, resumeGraceMs: 0 } }, async (server, audit) => {
      const ghost = ConsoleClient.open(server.consoleUrl(), { autoPong: false });
      await ghost.ready();
      const bystander = await open(server);
      // Stop reading and stop answering: what a suspended laptop or a dead network path looks like.
      (ghost.ws as unknown as { _socket: Socket })._socket.pause();
      const started = Date.now();
      const waitFor = (done: () => Promise<boolean> | boolean) =>
        new Promise<number>((resolve) => {
          const poll = setInterval(() => {
            void Promise.resolve(done()).then((yes) => {
              if (yes) {
                clearInterval(poll);
                resolve(Date.now() - started);
              }
            });
          }, 20);
        });
      const ended = await waitFor(
        async () =>
          (await metricValue(server, 'termrelay_sessions_ended_total', 'cause="client-unresponsive"')) === 1,
      );
      // The close frame is sent, and the socket dropped after closeTimeoutMs if the peer never answers.
      const dropped = await waitFor(() => server.relay.sessions.size === 1);
      record('client-vanished', { detectMs: ended, socketDroppedMs: dropped, boundMs: 1000 });
      expect(ended).toBeLessThan(500 * 2 + 500);
      expect(dropped).toBeLessThan(ended + 2000 + 500);
      await bystander.echoes('bystander');
      ghost.ws.terminate();
      bystander.ws.close();
      await bystander.closed;
      expect(await audit.settled()).toBe(true);
    });
  });

  it('a browser that vanishes without a close frame is detached at the next liveness check, and can come back', async () => {
    await withServer(sshd, { console: LIVENESS }, async (server) => {
      const ghost = ConsoleClient.open(server.consoleUrl(), { autoPong: false });
      await ghost.ready();
      (ghost.ws as unknown as { _socket: Socket })._socket.pause();
      const started = Date.now();
      while ((await metricValue(server, 'termrelay_sessions_detached')) !== 1) {
        expect(Date.now() - started).toBeLessThan(5000);
        await new Promise((r) => setTimeout(r, 20));
      }
      const detectMs = Date.now() - started;
      record('client-vanished-detached', { detectMs, boundMs: 1000 });
      expect(detectMs).toBeLessThan(500 * 2 + 500);
      expect(server.relay.sessions.size).toBe(1);
      ghost.ws.terminate();
      const back = ConsoleClient.open(server.resumeUrl(ghost.lastReady, ghost.outputOffset));
      await back.ready();
      await back.echoes('back');
      back.ws.close();
      await back.closed;
    });
  });

  it('a browser that reads nothing while the remote floods gets 4005 and is detached, and server memory stays bounded', async () => {
    const proc = await startTermrelayProcess({
      targets: [targetConfig(sshd)],
      console: { writeTimeoutMs: 2000, idleTimeoutMs: 0 },
    });
    let sampler: NodeJS.Timeout | undefined;
    try {
      const slow = ConsoleClient.open(`${proc.wsUrl}/api/targets/vm1/console`, { origin: proc.origin });
      await slow.ready();
      const baseline = rssOf(proc.pid);
      const socket = (slow.ws as unknown as { _socket: Socket })._socket;
      slow.type('cat /dev/zero\n');
      socket.pause();
      let peak = baseline;
      sampler = setInterval(() => (peak = Math.max(peak, rssOf(proc.pid))), 50);
      const bystander = ConsoleClient.open(`${proc.wsUrl}/api/targets/vm1/console`, { origin: proc.origin });
      await bystander.ready();
      await bystander.echoes('during');
      // The kernel buffers fill, a frame waits writeTimeoutMs, and the server lets go of this client (the
      // session waits for it to come back); reading again then lets the close frame through.
      const started = Date.now();
      while (
        !/termrelay_sessions_detached 1/.test(
          await (await fetch(`http://127.0.0.1:${proc.port}/metrics`)).text(),
        )
      ) {
        expect(Date.now() - started).toBeLessThan(20_000);
        await new Promise((r) => setTimeout(r, 100));
      }
      record('client-too-slow-detect', { afterFloodStartMs: Date.now() - started, writeTimeoutMs: 2000 });
      socket.resume();
      const closed = await slow.closed;
      clearInterval(sampler);
      expect(closed.code).toBe(4005);
      record('client-too-slow', {
        code: closed.code,
        baselineRssMiB: +(baseline / 2 ** 20).toFixed(1),
        peakRssMiB: +(peak / 2 ** 20).toFixed(1),
        growthMiB: +((peak - baseline) / 2 ** 20).toFixed(1),
      });
      expect(peak - baseline).toBeLessThan(64 * 2 ** 20);
      await bystander.echoes('after');
      bystander.ws.close();
    } finally {
      clearInterval(sampler);
      proc.child.kill('SIGKILL');
    }
  });

  it('SIGTERM with 50 live sessions: every client gets 1001 and the process exits within 5 s', async () => {
    const proc = await startTermrelayProcess({ targets: [targetConfig(sshd)] });
    const clients: ConsoleClient[] = [];
    for (let i = 0; i < 50; i++) {
      clients.push(ConsoleClient.open(`${proc.wsUrl}/api/targets/vm1/console`, { origin: proc.origin }));
    }
    await Promise.all(clients.map((c) => c.ready(30_000)));
    const started = Date.now();
    proc.child.kill('SIGTERM');
    const codes = await Promise.all(clients.map(async (c) => (await c.closed).code));
    const exitCode = await proc.exited;
    const exitMs = Date.now() - started;
    record('sigterm-50-sessions', { exitMs, all1001: codes.every((c) => c === 1001) });
    expect(codes.every((c) => c === 1001)).toBe(true);
    expect(exitCode).toBe(0);
    expect(exitMs).toBeLessThan(5000);
  });

  it('dialing a loopback listener that never answers, or a closed port, ends with 4010 within connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as { port: number }).port;
    const closedPort = await freePort();
    try {
      await withServer(
        sshd,
        {
          targets: [
            { ...targetConfig(sshd, 'silent'), port: silentPort },
            { ...targetConfig(sshd, 'closed'), port: closedPort },
          ],
          console: { connectTimeoutMs: 1000 },
        },
        async (server, audit) => {
          for (const id of ['silent', 'closed']) {
            const started = Date.now();
            const closed = await ConsoleClient.open(server.consoleUrl(id)).closed;
            const ms = Date.now() - started;
            record(`dial-${id}`, { code: closed.code, ms, boundMs: 1000 });
            expect(closed.code).toBe(4010);
            // The handshake deadline equals the connect deadline: a silent listener takes one of them.
            expect(ms).toBeLessThan(id === 'silent' ? 2500 : 1000);
          }
          expect(await audit.settled()).toBe(true);
        },
      );
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

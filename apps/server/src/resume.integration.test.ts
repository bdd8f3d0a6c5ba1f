// Sessions that outlive their connection, against a real sshd: lossless resume after a drop, exactly-once
// input, the rotating token, takeover, and the grace that ends what nobody comes back to.
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  TEST_ORIGIN,
  metricValue,
  refusalOf,
  startTestServer,
  type TestServer,
  processAlive,
} from './testing/harness.js';

let sshd: TestSshd;
let server: TestServer;

beforeAll(async () => {
  sshd = await startSshd();
  server = await startTestServer(sshd, { console: { resumeBufferBytes: 256 * 1024 } });
});
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
});

const open = () => ConsoleClient.open(server.consoleUrl('vm1', '?flow=ack'), { ack: true });

describe('resume', () => {
  it('loses nothing of a flood larger than the buffer across a dropped connection: same shell, every line once', async () => {
    const first = open();
    await first.ready();
    const pid = await first.shellPid();
    first.type('KEPT=yes-$((1+1)); stty -echo; seq 1 300000; echo SEQ-DONE\n');
    await first.waitFor(/^1000\r?$/m);
    const before = first.output.length;
    first.drop();
    expect((await first.closed).code).toBe(1006);
    // While nobody is attached the remote fills the buffer, then waits.
    await new Promise((r) => setTimeout(r, 500));
    expect(await metricValue(server, 'termrelay_sessions_detached')).toBe(1);

    const second = ConsoleClient.open(server.resumeUrl(first.lastReady, first.outputOffset, '&flow=ack'), {
      ack: true,
    });
    await second.ready();
    expect(second.lastReady.session).toBe(first.lastReady.session);
    expect(second.lastReady.offset).toBe(first.outputOffset);
    expect(second.lastReady.resume).not.toBe(first.lastReady.resume);
    expect(second.controls.some((c) => c.type === 'reset')).toBe(false);
    await second.waitFor(/^SEQ-DONE/m, 60_000);
    const all = first.output + second.output;
    // Every line of seq, and nothing else that is only digits, once and in order.
    const lines = all
      .split(/\r?\n/)
      .map((line) => line.replace(/^.*\r/, ''))
      .filter((line) => /^\d+$/.test(line));
    expect(lines.length).toBe(300_000);
    for (let i = 0; i < lines.length; i++)
      if (lines[i] !== String(i + 1)) expect(lines[i]).toBe(String(i + 1));
    expect(before).toBeGreaterThan(0);
    second.type('stty echo; echo KEPT=$KEPT\n');
    await second.waitFor(/KEPT=yes-2/);
    expect(await second.shellPid()).toBe(pid);
    second.ws.close();
    await second.closed;
  }, 120_000);

  it('refuses a wrong token and a used one with 403, an unknown session with 404, a future offset with 400', async () => {
    const client = open();
    await client.ready();
    const ready = client.lastReady;
    client.drop();
    await client.closed;
    const wrong = await refusalOf(server.resumeUrl({ ...ready, resume: 'not-the-token' }, 0), {
      origin: TEST_ORIGIN,
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'resume_denied']);
    const unknown = await refusalOf(server.resumeUrl({ ...ready, session: 'no-such-session' }, 0), {
      origin: TEST_ORIGIN,
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'session_not_found']);
    const future = await refusalOf(server.resumeUrl(ready, 10_000_000), { origin: TEST_ORIGIN });
    expect([future.status, future.body.error.code]).toEqual([400, 'bad_request']);
    const foreign = await refusalOf(server.resumeUrl(ready, 0), { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('origin_not_allowed');

    const resumed = ConsoleClient.open(server.resumeUrl(ready, client.outputOffset));
    await resumed.ready();
    resumed.drop();
    await resumed.closed;
    // The token it used works once; the new one works.
    const reused = await refusalOf(server.resumeUrl(ready, 0), { origin: TEST_ORIGIN });
    expect([reused.status, reused.body.error.code]).toEqual([403, 'resume_denied']);
    const again = ConsoleClient.open(server.resumeUrl(resumed.lastReady, resumed.outputOffset));
    await again.ready();
    again.ws.close();
    await again.closed;
  });

  it('gives the old socket 4020 when another takes the session over, and counts input exactly from then', async () => {
    const first = open();
    await first.ready();
    first.type('cat > /dev/null\n');
    await new Promise((r) => setTimeout(r, 200));
    const second = ConsoleClient.open(server.resumeUrl(first.lastReady, first.outputOffset));
    await second.ready();
    const closed = await first.closed;
    expect(closed.code).toBe(4020);
    expect(closed.reason).toBe('The console was opened elsewhere');
    expect(second.lastReady.inputOffset).toBe('cat > /dev/null\n'.length);
    second.ws.close();
    await second.closed;
  });

  it('delivers input sent across a drop exactly once', async () => {
    const client = open();
    await client.ready();
    client.type('stty -echo; cat > /tmp/termrelay-once-$$; echo CAT-DONE\n');
    await new Promise((r) => setTimeout(r, 300));
    // The client keeps what it sent beyond the last inputOffset it knows, and re-sends from the new one.
    const sent: string[] = [];
    const send = (c: ConsoleClient, text: string) => {
      sent.push(text);
      c.type(text);
    };
    const known = client.lastReady.inputOffset;
    const prefix = 'stty -echo; cat > /tmp/termrelay-once-$$; echo CAT-DONE\n';
    send(client, 'line-1\n');
    send(client, 'line-2\n');
    await new Promise((r) => setTimeout(r, 200));
    client.drop();
    await client.closed;
    const resumed = ConsoleClient.open(server.resumeUrl(client.lastReady, client.outputOffset));
    await resumed.ready();
    const all = prefix + sent.join('');
    const unsent = all.slice(resumed.lastReady.inputOffset - known);
    if (unsent) resumed.type(unsent);
    resumed.type('line-3\n\x04');
    await resumed.waitFor(/CAT-DONE/);
    resumed.type('stty echo; cat /tmp/termrelay-once-$$; rm /tmp/termrelay-once-$$\n');
    await resumed.waitFor(/line-3/);
    const text = resumed.output;
    expect(text.match(/line-1/g)?.length).toBe(1);
    expect(text.match(/line-2/g)?.length).toBe(1);
    resumed.ws.close();
    await resumed.closed;
  });

  it('ends a session nobody comes back to after the grace: 404, and the shell is gone', async () => {
    const short = await startTestServer(sshd, { console: { resumeGraceMs: 500 } });
    try {
      const client = ConsoleClient.open(short.consoleUrl());
      await client.ready();
      const pid = await client.shellPid();
      expect(processAlive(pid)).toBe(true);
      client.drop();
      await client.closed;
      await new Promise((r) => setTimeout(r, 1200));
      const late = await refusalOf(short.resumeUrl(client.lastReady, client.outputOffset), {
        origin: TEST_ORIGIN,
      });
      expect([late.status, late.body.error.code]).toEqual([404, 'session_not_found']);
      expect(await metricValue(short, 'termrelay_sessions_ended_total', 'cause="detached-timeout"')).toBe(1);
      const started = Date.now();
      while (processAlive(pid) && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(processAlive(pid)).toBe(false);
    } finally {
      await short.close();
    }
  });

  it('ends the session when the client closes cleanly, and replays nothing for a 1001 it never sent', async () => {
    const client = open();
    await client.ready();
    client.control({ type: 'close' });
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    const after = await refusalOf(server.resumeUrl(client.lastReady, 0), { origin: TEST_ORIGIN });
    expect(after.status).toBe(404);
  });

  it('keeps the session for a page that goes away with 1001', async () => {
    const client = open();
    await client.ready();
    client.type('GONE=back\n');
    await new Promise((r) => setTimeout(r, 200));
    client.ws.close(1001);
    await client.closed;
    const back = ConsoleClient.open(server.resumeUrl(client.lastReady, client.outputOffset));
    await back.ready();
    back.type('echo $GONE-again\n');
    await back.waitFor(/back-again/);
    back.ws.close();
    await back.closed;
  });

  it('tells a client whose offset is older than the buffer to reset, and starts at the oldest byte kept', async () => {
    const client = open();
    await client.ready();
    client.type('head -c 600000 /dev/zero | tr "\\0" x; echo; echo BIG-DONE\n');
    await client.waitFor(/^BIG-DONE/m, 30_000);
    const ready = client.lastReady;
    client.drop();
    await client.closed;
    const back = ConsoleClient.open(server.resumeUrl(ready, 0));
    await back.ready();
    expect(back.lastReady.offset).toBeGreaterThan(0);
    expect(back.controls.map((c) => c.type)).toEqual(['ready', 'reset']);
    back.ws.close();
    await back.closed;
  });

  it('survives a client that stalls under a flood and then vanishes: the session waits, the server serves on', async () => {
    const stalled = ConsoleClient.open(server.consoleUrl());
    await stalled.ready();
    const socket = (stalled.ws as unknown as { _socket: { pause(): void } })._socket;
    stalled.type('cat /dev/zero\n');
    await stalled.waitFor(/\0{1000}/);
    socket.pause();
    await new Promise((r) => setTimeout(r, 500));
    stalled.ws.terminate();
    await new Promise((r) => setTimeout(r, 500));
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const other = open();
    await other.ready();
    await other.echoes('alive');
    other.ws.close();
    await other.closed;
    const back = ConsoleClient.open(server.resumeUrl(stalled.lastReady, stalled.outputOffset));
    await back.ready();
    back.type('\x03');
    await back.echoes('back');
    back.control({ type: 'close' });
    await back.closed;
  });
});

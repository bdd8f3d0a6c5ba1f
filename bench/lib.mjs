// What the scenarios stand on: the sshd fixture, a termrelay server process, and three kinds of terminal
// client that all look the same to a scenario — the OpenSSH client, ssh2 directly, and the relay over a
// WebSocket (with or without flow=ack).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import WebSocket from 'ws';
import { startTermrelayProcess } from '@termrelay/server/testing';
import { OutputWatcher } from '@termrelay/test-sshd';

export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], n: sorted.length };
}

export async function startRelay(sshd, consoleOverrides = {}, extra = {}, processOptions = {}) {
  return await startTermrelayProcess(
    {
      ...extra,
      console: { idleTimeoutMs: 0, maxSessions: 2000, ...consoleOverrides },
      targets: [
        {
          id: 'vm1',
          label: 'bench',
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          privateKeyPath: sshd.clientPrivateKeyPath,
          hostKeyFingerprints: [sshd.hostKeyFingerprint],
        },
      ],
    },
    processOptions,
  );
}

/**
 * A terminal over the relay: binary frames in and out, optional acks. It keeps the session's last `ready`
 * and its output offset, so `resume` (a terminal from before) opens the session again from where that
 * one got to. `readyAt` and `firstByteAt` time the open.
 */
export async function relayTerminal(relay, { flowAck = false, cols = 120, rows = 40, resume } = {}) {
  const query = `cols=${cols}&rows=${rows}${flowAck ? '&flow=ack' : ''}`;
  const url = resume
    ? `ws://127.0.0.1:${relay.port}/api/sessions/${resume.ready.session}/console?resume=${resume.ready.resume}&offset=${resume.offset}&${query}`
    : `ws://127.0.0.1:${relay.port}/api/targets/vm1/console?${query}`;
  const ws = new WebSocket(url, { origin: relay.origin });
  const watcher = new OutputWatcher();
  const term = {
    kind: flowAck ? 'relay+ack' : 'relay',
    watcher,
    frames: 0,
    openedAt: 0,
    readyAt: 0,
    firstByteAt: 0,
    ready: undefined,
    /** The session's output offset this terminal has reached. */
    offset: 0,
  };
  term.openedAt = performance.now();
  let unacked = 0;
  await new Promise((resolve, reject) => {
    ws.on('message', (data, binary) => {
      if (!binary) {
        const message = JSON.parse(String(data));
        if (message.type === 'ready') {
          term.readyAt = performance.now();
          term.ready = message;
          term.offset = message.offset;
          resolve();
        }
        return;
      }
      term.firstByteAt ||= performance.now();
      term.offset += data.length;
      term.frames++;
      watcher.feed(data);
      if (flowAck) {
        unacked += data.length;
        if (unacked >= 64 * 1024) {
          ws.send(JSON.stringify({ type: 'ack', bytes: unacked }));
          unacked = 0;
        }
      }
    });
    // A socket reset after the measurement (a relay stopped, a terminal closed) must not end the run.
    ws.on('error', () => {});
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
  if (flowAck) {
    // Ack what is left when output pauses, as the web app does.
    term.ackTimer = setInterval(() => {
      if (unacked > 0 && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: 'ack', bytes: unacked }));
        unacked = 0;
      }
    }, 20);
  }
  term.write = (text) => ws.send(Buffer.from(text), { binary: true });
  // A clean close ends the session; a dropped socket would leave it detached for the resume grace.
  term.close = () => {
    clearInterval(term.ackTimer);
    if (ws.readyState !== WebSocket.OPEN) return ws.terminate();
    ws.close(1000);
    setTimeout(() => ws.terminate(), 1000).unref();
  };
  /** Drops the TCP connection without a close frame, as a network failure would: the session detaches. */
  term.drop = () => {
    clearInterval(term.ackTimer);
    ws._socket.destroy();
  };
  term.ws = ws;
  return term;
}

/** A terminal straight over ssh2 (a shell channel, no WebSocket): the relay's own SSH library alone. */
export async function ssh2Terminal(sshd, { cols = 120, rows = 40 } = {}) {
  const client = new ssh2.Client();
  const watcher = new OutputWatcher();
  const term = { kind: 'ssh2', watcher, frames: 0 };
  await new Promise((resolve, reject) => {
    client.on('error', () => {});
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.clientPrivateKey,
      hostVerifier: () => true,
    });
  });
  const channel = await new Promise((resolve, reject) =>
    client.shell({ cols, rows, term: 'xterm-256color' }, (err, ch) => (err ? reject(err) : resolve(ch))),
  );
  channel.on('data', (d) => {
    term.frames++;
    watcher.feed(d);
  });
  term.write = (text) => channel.write(text);
  term.close = () => client.end();
  return term;
}

/** The OpenSSH client with a PTY (`ssh -tt`), output read from its stdout. */
export function opensshTerminal(sshd) {
  const child = spawn('ssh', ['-tt', ...sshd.sshArgs()], { stdio: ['pipe', 'pipe', 'ignore'] });
  const watcher = new OutputWatcher();
  child.stdout.on('data', (d) => watcher.feed(d));
  return {
    kind: 'openssh',
    watcher,
    frames: 0,
    write: (text) => child.stdin.write(text),
    close: () => child.kill('SIGKILL'),
  };
}

/** Waits for a shell prompt, then turns off echo so only command output counts. */
export async function prepare(term) {
  term.write('stty -echo; export PS1="__P__ "; echo RE""ADY\n');
  await term.watcher.waitFor(/READY/, 15_000);
  await new Promise((r) => setTimeout(r, 100));
}

/** The web app's build, served by the relay for the browser scenarios. */
export const WEB_ROOT = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

/** Headless Chromium as the e2e suite runs it (Debian's, --disable-gpu). */
export async function launchChromium() {
  const { chromium } = await import('@playwright/test');
  return await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/**
 * The real page in Chromium, connected to the relay's vm1 with flow=ack (the page's default). Counts what
 * the page received and what it acknowledged as parsed, so a scenario can wait for "everything received
 * so far is parsed" whichever renderer draws it; `screen()` reads the DOM renderer's rows as e2e does.
 */
export async function pageTerminal(browser, relay, { renderer = 'dom' } = {}) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  const counts = { received: 0, acked: 0, text: '' };
  page.on('websocket', (ws) => {
    ws.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string') return;
      counts.received += frame.payload.length;
      counts.text = (counts.text + frame.payload.toString('latin1')).slice(-4096);
    });
    ws.on('framesent', (frame) => {
      if (typeof frame.payload !== 'string') return;
      const message = JSON.parse(frame.payload);
      if (message.type === 'ack') counts.acked += message.bytes;
    });
  });
  await page.goto(`${relay.origin}/?target=vm1&renderer=${renderer}`);
  await page.locator('#bar[data-state="connected"]').waitFor({ timeout: 15_000 });
  await page.locator('.xterm-helper-textarea').focus();
  const term = {
    page,
    counts,
    renderer: await page.locator('#terminal').getAttribute('data-renderer'),
    async type(line) {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    },
    /** Resolves once the output's tail matches and the page has parsed everything it received. */
    async parsed(pattern, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      while (!(pattern.test(counts.text) && counts.acked >= counts.received)) {
        if (Date.now() > until) throw new Error(`page never parsed ${pattern}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async screen() {
      return await page
        .locator('.xterm-rows')
        .evaluate((rows) =>
          Array.from(rows.children, (row) => (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join(
            '\n',
          ),
        );
    },
    async waitForScreen(pattern, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(await term.screen())) {
        if (Date.now() > until) throw new Error(`screen never matched ${pattern}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => page.close(),
  };
  return term;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

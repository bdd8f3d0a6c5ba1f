// The measurements. Each compares paths in the same run, alternating them, so that a noisy shared machine
// shows up as noise in both and a regression shows as a ratio.
import { opensshTerminal, prepare, relayTerminal, rssOf, ssh2Terminal, stats } from './lib.mjs';

const MiB = 2 ** 20;
const progress = (text) => process.stderr.write(`\r\x1b[K  ${text}`);

async function timedFlood(term, bytes) {
  const from = term.watcher.output.length;
  const framesBefore = term.frames;
  const started = performance.now();
  term.write(`head -c ${bytes} /dev/zero | tr '\\0' y; echo; echo DO""NE\n`);
  await term.watcher.waitFor(/DONE/, 600_000, from);
  const seconds = (performance.now() - started) / 1000;
  return { mbps: bytes / 1e6 / seconds, seconds, frames: term.frames - framesBefore };
}

export async function throughput(ctx) {
  const bytes = ctx.quick ? 32 * MiB : 256 * MiB;
  const rounds = ctx.quick ? 1 : 2;
  const paths = {
    openssh: () => opensshTerminal(ctx.sshd),
    ssh2: () => ssh2Terminal(ctx.sshd),
    relay: () => relayTerminal(ctx.relay),
    'relay+ack': () => relayTerminal(ctx.relay, { flowAck: true }),
  };
  const best = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, open] of Object.entries(paths)) {
      progress(`throughput: ${name}, round ${round + 1}/${rounds}, ${bytes / MiB} MiB`);
      const term = await open();
      await prepare(term);
      const r = await timedFlood(term, bytes);
      term.close();
      if (!best[name] || r.mbps > best[name].mbps) best[name] = r;
    }
  }
  const frames = best.relay.frames;
  return {
    bytes,
    mbps: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, +v.mbps.toFixed(1)])),
    ratioRelay: +(best.relay.mbps / best.ssh2.mbps).toFixed(3),
    ratioRelayAck: +(best['relay+ack'].mbps / best.ssh2.mbps).toFixed(3),
    relayFramesPerSecond: Math.round(frames / best.relay.seconds),
    relayAverageFrameBytes: Math.round(bytes / frames),
  };
}

async function keystrokeLatencies(term, count) {
  term.write('stty -icanon echo; cat > /dev/null\n');
  await new Promise((r) => setTimeout(r, 300));
  const samples = [];
  let frames = 0;
  for (let i = 0; i < count; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const from = term.watcher.output.length;
    const framesBefore = term.frames;
    const started = performance.now();
    term.write(ch);
    await term.watcher.waitFor(new RegExp(ch), 5000, from);
    samples.push(performance.now() - started);
    frames += term.frames - framesBefore;
    if (i % 50 === 0) progress(`echo latency: ${term.kind} ${i}/${count}`);
  }
  term.write('\x03');
  return { ...stats(samples), framesPerKeystroke: +(frames / count).toFixed(2) };
}

export async function echoLatency(ctx) {
  const count = ctx.quick ? 200 : 1000;
  const result = {};
  for (const flooding of [false, true]) {
    let flood;
    if (flooding) {
      flood = await relayTerminal(ctx.relay);
      await prepare(flood);
      flood.write('yes\n');
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const [name, open] of [
      ['ssh2', () => ssh2Terminal(ctx.sshd)],
      ['relay', () => relayTerminal(ctx.relay)],
    ]) {
      const term = await open();
      await prepare(term);
      const r = await keystrokeLatencies(term, count);
      term.close();
      result[`${name}${flooding ? '+flood' : ''}`] = {
        p50: +r.p50.toFixed(3),
        p99: +r.p99.toFixed(3),
        max: +r.max.toFixed(3),
        framesPerKeystroke: r.framesPerKeystroke,
      };
    }
    flood?.close();
  }
  const add = (k, p) => +(result[`relay${k}`][p] - result[`ssh2${k}`][p]).toFixed(3);
  return {
    keystrokes: count,
    ...result,
    addedIdle: { p50: add('', 'p50'), p99: add('', 'p99') },
    addedBesideFlood: { p50: add('+flood', 'p50'), p99: add('+flood', 'p99') },
  };
}

export async function ctrlC(ctx) {
  const tries = ctx.quick ? 2 : 5;
  const result = {};
  for (const flowAck of [false, true]) {
    const samples = [];
    const term = await relayTerminal(ctx.relay, { flowAck });
    await prepare(term);
    for (let i = 0; i < tries; i++) {
      progress(`ctrl-c: ${term.kind} ${i + 1}/${tries}`);
      term.write('yes\n');
      await new Promise((r) => setTimeout(r, 1000));
      const from = term.watcher.output.length;
      const started = performance.now();
      term.write('\x03');
      await term.watcher.waitFor(/__P__ $/m, 30_000, from);
      samples.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 200));
    }
    term.close();
    const s = stats(samples);
    result[term.kind] = { p50: Math.round(s.p50), max: Math.round(s.max), tries };
  }
  result.browser = 'see apps/web/README.md (headless Chromium, through the page)';
  return result;
}

export async function memory(ctx) {
  const counts = ctx.quick ? [0, 50] : [0, 100, 500];
  const sessions = [];
  const rss = {};
  for (const count of counts) {
    while (sessions.length < count) {
      progress(`memory: opening session ${sessions.length + 1}/${count}`);
      sessions.push(await relayTerminal(ctx.relay));
    }
    await new Promise((r) => setTimeout(r, 1000));
    rss[count] = rssOf(ctx.relay.pid);
  }
  for (const s of sessions) s.close();
  const top = counts[counts.length - 1];
  const perSessionKiB = Math.round((rss[top] - rss[0]) / top / 1024);
  await new Promise((r) => setTimeout(r, 1500));

  // One client stalls while the remote keeps producing: the relay's memory must stay near its cap.
  progress('memory: stalled client');
  const baseline = rssOf(ctx.relay.pid);
  const stalled = await relayTerminal(ctx.relay);
  await prepare(stalled);
  stalled.ws._socket.pause();
  stalled.write('cat /dev/zero\n');
  let peak = baseline;
  const until = Date.now() + (ctx.quick ? 3000 : 8000);
  while (Date.now() < until) {
    peak = Math.max(peak, rssOf(ctx.relay.pid));
    await new Promise((r) => setTimeout(r, 50));
  }
  stalled.close();
  return {
    rssMiB: Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, +(v / MiB).toFixed(1)])),
    perIdleSessionKiB: perSessionKiB,
    stalledClientGrowthMiB: +((peak - baseline) / MiB).toFixed(1),
  };
}

export async function connectTime(ctx) {
  const count = ctx.quick ? 20 : 50;
  const samples = [];
  for (let i = 0; i < count; i++) {
    progress(`connect: ${i + 1}/${count}`);
    const term = await relayTerminal(ctx.relay);
    samples.push(term.readyAt - term.openedAt);
    term.close();
  }
  const s = stats(samples);
  return { sessions: count, p50: +s.p50.toFixed(1), p99: +s.p99.toFixed(1) };
}

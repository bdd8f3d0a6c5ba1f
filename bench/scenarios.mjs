// The measurements. Each compares paths in the same run, alternating them, so that a noisy shared machine
// shows up as noise in both and a regression shows as a ratio.
import {
  cpuSecondsOf,
  launchChromium,
  opensshTerminal,
  pageTerminal,
  prepare,
  relayTerminal,
  rssOf,
  ssh2Terminal,
  startRelay,
  stats,
  WEB_ROOT,
} from './lib.mjs';
import WebSocket from 'ws';

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
  const counts = ctx.quick ? [0, 50] : [0, 100, 500, 1000];
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

/** p50 and p90 of a list of milliseconds, and the list itself in the order measured. */
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: Math.round(at(0.5)), p90: Math.round(at(0.9)), samples: samples.map(Math.round) };
}

/**
 * The browser through the real page (headless Chromium, flow=ack, the page's default): Ctrl+C under `yes`
 * until the prompt shows, with the adaptive SSH window and with ssh2's stock one, tries alternating
 * between the two; then what the page parses and paints per second, by window and by renderer.
 */
export async function browser(ctx) {
  const tries = ctx.quick ? 3 : 10;
  const floodBytes = ctx.quick ? 4 * MiB : 16 * MiB;
  const web = { webRoot: WEB_ROOT };
  const relays = {
    adaptive: await startRelay(ctx.sshd, {}, web),
    stock: await startRelay(ctx.sshd, { sshWindowAdaptive: false }, web),
  };
  const chromium = await launchChromium();
  try {
    const pages = {};
    for (const [name, relay] of Object.entries(relays)) pages[name] = await pageTerminal(chromium, relay);
    const ctrlC = { adaptive: [], stock: [] };
    for (let i = 0; i < tries; i++) {
      for (const [name, term] of Object.entries(pages)) {
        progress(`browser ctrl-c: ${name} ${i + 1}/${tries}`);
        await term.type('clear; yes');
        await new Promise((r) => setTimeout(r, 1500));
        const started = performance.now();
        await term.page.keyboard.press('Control+C');
        await term.waitForScreen(/\$$/m);
        ctrlC[name].push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    for (const term of Object.values(pages)) await term.close();

    const flood = async (relay, renderer) => {
      const term = await pageTerminal(chromium, relay, { renderer });
      await term.type('clear');
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      await term.type(`head -c ${floodBytes} /dev/zero | tr '\\0' y; echo; echo DO""NE`);
      await term.parsed(/DONE\r\n/);
      const seconds = (performance.now() - started) / 1000;
      const active = term.renderer;
      await term.close();
      return { mbps: +(floodBytes / 1e6 / seconds).toFixed(2), renderer: active };
    };
    // Best of rounds, alternating, as the Node throughput scenario does: the machine is shared.
    const throughput = {};
    for (let round = 0; round < (ctx.quick ? 1 : 3); round++) {
      for (const [label, relay, renderer] of [
        ['stock window, dom', relays.stock, 'dom'],
        ['adaptive window, dom', relays.adaptive, 'dom'],
        ['adaptive window, webgl', relays.adaptive, 'webgl'],
      ]) {
        progress(`browser throughput: ${label}, round ${round + 1}`);
        const r = await flood(relay, renderer);
        if (!throughput[label] || r.mbps > throughput[label].mbps) throughput[label] = r;
      }
    }
    const a = summary(ctrlC.adaptive);
    const b = summary(ctrlC.stock);
    return {
      tries,
      ctrlCms: { adaptive: a, stock: b },
      ctrlCRatioP50: +(a.p50 / b.p50).toFixed(3),
      floodBytes,
      pageMBps: throughput,
      pageRatioAdaptiveVsStock: +(
        throughput['adaptive window, dom'].mbps / throughput['stock window, dom'].mbps
      ).toFixed(3),
    };
  } finally {
    await chromium.close();
    for (const relay of Object.values(relays)) relay.stop();
  }
}

/**
 * CPU per MB relayed: the relay process (from /proc) against the ssh2-direct client (this process's own
 * process.cpuUsage while it alone reads a flood), each over the same flood, alternating, best of rounds.
 * The bench process's own CPU while it reads through the relay is reported too (ws client + watcher).
 */
export async function cpuPerMB(ctx) {
  const bytes = ctx.quick ? 32 * MiB : 128 * MiB;
  const rounds = ctx.quick ? 1 : 3;
  const best = {};
  const keep = (name, value) => (best[name] = Math.min(best[name] ?? Infinity, value));
  for (let round = 0; round < rounds; round++) {
    progress(`cpu per MB: ssh2, round ${round + 1}/${rounds}`);
    let term = await ssh2Terminal(ctx.sshd);
    await prepare(term);
    let own = process.cpuUsage();
    await timedFlood(term, bytes);
    own = process.cpuUsage(own);
    term.close();
    keep('ssh2Direct', (own.user + own.system) / 1e6 / (bytes / 1e6));

    progress(`cpu per MB: relay, round ${round + 1}/${rounds}`);
    term = await relayTerminal(ctx.relay, { flowAck: true });
    await prepare(term);
    const relayBefore = cpuSecondsOf(ctx.relay.pid);
    own = process.cpuUsage();
    await timedFlood(term, bytes);
    own = process.cpuUsage(own);
    const relaySeconds = cpuSecondsOf(ctx.relay.pid) - relayBefore;
    term.close();
    keep('relay', relaySeconds / (bytes / 1e6));
    keep('benchClientViaRelay', (own.user + own.system) / 1e6 / (bytes / 1e6));
  }
  const ms = (v) => +(v * 1000).toFixed(3);
  return {
    bytes,
    cpuMsPerMB: {
      ssh2Direct: ms(best.ssh2Direct),
      relay: ms(best.relay),
      benchClientViaRelay: ms(best.benchClientViaRelay),
    },
    ratioRelayVsSsh2: +(best.relay / best.ssh2Direct).toFixed(3),
  };
}

/**
 * Resume. Reconnect → first byte: a session whose socket is dropped while its shell is about to print is
 * resumed from the offset its client had; the time from opening the resume socket to its `ready` and to
 * its first binary frame (the output printed while detached). Then what keeping output for resumes costs:
 * relay throughput with resume on (the default grace) and off (`resumeGraceMs` 0), two server processes
 * of their own, rounds alternating between the two in the same run, with and without acks.
 */
export async function resume(ctx) {
  const samples = ctx.quick ? 20 : 100;
  const toReady = [];
  const toFirstByte = [];
  let term = await relayTerminal(ctx.relay, { flowAck: true });
  await prepare(term);
  for (let i = 0; i < samples; i++) {
    progress(`resume: reconnect ${i + 1}/${samples}`);
    // The shell prints once the socket is gone, so the output waits in the session for the resume.
    term.write(`sleep 0.2; echo pend""ing-${i}\n`);
    await new Promise((r) => setTimeout(r, 50));
    term.drop();
    await new Promise((r) => setTimeout(r, 400));
    const next = await relayTerminal(ctx.relay, {
      flowAck: true,
      resume: { ready: term.ready, offset: term.offset },
    });
    await next.watcher.waitFor(new RegExp(`pending-${i}`), 10_000);
    toReady.push(next.readyAt - next.openedAt);
    toFirstByte.push(next.firstByteAt - next.openedAt);
    term = next;
  }
  term.close();

  const bytes = ctx.quick ? 32 * MiB : 128 * MiB;
  const rounds = ctx.quick ? 2 : 3;
  // Two fresh server processes alike but for the grace, each warmed up by one small flood.
  const servers = {
    on: await startRelay(ctx.sshd),
    off: await startRelay(ctx.sshd, { resumeGraceMs: 0 }),
  };
  const flood = async (relay, flowAck, size) => {
    const t = await relayTerminal(relay, { flowAck });
    await prepare(t);
    const r = await timedFlood(t, size);
    t.close();
    return r.mbps;
  };
  const runs = {};
  try {
    for (const relay of Object.values(servers)) await flood(relay, true, 8 * MiB);
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so a machine that slows down or speeds up weighs on both alike.
      const order = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const flowAck of [false, true]) {
        for (const grace of order) {
          const name = `${flowAck ? 'relay+ack' : 'relay'}, resume ${grace}`;
          progress(`resume: throughput ${name}, round ${round + 1}/${rounds}`);
          (runs[name] ??= []).push(+(await flood(servers[grace], flowAck, bytes)).toFixed(1));
        }
      }
    }
  } finally {
    for (const relay of Object.values(servers)) relay.stop();
  }
  const best = (name) => Math.max(...runs[name]);
  const spread = (name) => (Math.max(...runs[name]) - Math.min(...runs[name])) / Math.max(...runs[name]);
  const ratio = (path) => +(best(`${path}, resume on`) / best(`${path}, resume off`)).toFixed(3);
  const r = (v) => +v.toFixed(1);
  const ready = stats(toReady);
  const first = stats(toFirstByte);
  return {
    reconnects: samples,
    readyMs: { p50: r(ready.p50), p99: r(ready.p99) },
    firstByteMs: { p50: r(first.p50), p99: r(first.p99), max: r(first.max) },
    bytes,
    rounds,
    mbps: runs,
    ratioOnOff: { relay: ratio('relay'), 'relay+ack': ratio('relay+ack') },
    /** The largest spread between rounds of one configuration: what "within noise" is measured against. */
    roundSpread: +Math.max(...Object.keys(runs).map(spread)).toFixed(3),
  };
}

/** Opens a read-only watcher on `term`'s session (share, then the watch URL) and stops reading it. */
async function stalledWatcher(relay, term) {
  const shared = new Promise((resolve, reject) => {
    const onMessage = (data, binary) => {
      if (binary) return;
      const message = JSON.parse(String(data));
      if (message.type !== 'shared') return;
      term.ws.off('message', onMessage);
      resolve(message.url);
    };
    term.ws.on('message', onMessage);
    setTimeout(() => reject(new Error('no shared message')), 10_000).unref();
  });
  term.ws.send(JSON.stringify({ type: 'share' }));
  const url = new URL(await shared, relay.origin);
  const ws = new WebSocket(
    `${relay.wsUrl}/api/sessions/${url.searchParams.get('session')}/watch?key=${encodeURIComponent(url.searchParams.get('key'))}`,
    { origin: relay.origin },
  );
  const watcher = { ws, controls: [] };
  await new Promise((resolve, reject) => {
    ws.on('message', (data, binary) => {
      if (binary) return;
      const message = JSON.parse(String(data));
      watcher.controls.push(message);
      if (message.type === 'ready') resolve();
    });
    ws.on('error', () => {});
    ws.once('close', (code) => reject(new Error(`watcher closed ${code}`)));
  });
  ws._socket.pause();
  return watcher;
}

/**
 * Watching. The owner's throughput with a read-only watcher attached that reads nothing, against the same
 * owner alone, on the same server process: each round floods both ways back to back (which goes first
 * alternates), so a shared machine's swings weigh on both. A stalled watcher is skipped forward and must
 * never slow the owner (goal ≥ 0.9): the figure is the median of the rounds' ratios, with the ratio of the
 * best runs beside it, and the relay process's CPU per MB (median) each way. Without and with acks.
 */
export async function watch(ctx) {
  const bytes = ctx.quick ? 16 * MiB : 64 * MiB;
  const rounds = ctx.quick ? 3 : 7;
  const runs = {};
  const ratios = { relay: [], 'relay+ack': [] };
  /** The relay process's CPU milliseconds per MB of each flood: steadier than MB/s on a shared machine. */
  const cpu = {};
  let resets = 0;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['alone', 'stalled watcher'] : ['stalled watcher', 'alone'];
    for (const path of ['relay', 'relay+ack']) {
      const mbps = {};
      for (const how of order) {
        progress(`watch: ${path}, ${how}, round ${round + 1}/${rounds}, ${bytes / MiB} MiB`);
        const term = await relayTerminal(ctx.relay, { flowAck: path === 'relay+ack' });
        await prepare(term);
        const watcher = how === 'alone' ? undefined : await stalledWatcher(ctx.relay, term);
        const cpuBefore = cpuSecondsOf(ctx.relay.pid);
        mbps[how] = (await timedFlood(term, bytes)).mbps;
        (cpu[`${path}, ${how}`] ??= []).push(
          ((cpuSecondsOf(ctx.relay.pid) - cpuBefore) * 1000) / (bytes / 1e6),
        );
        if (watcher) {
          watcher.ws._socket.resume();
          await new Promise((resolve) => setTimeout(resolve, 200));
          if (watcher.controls.some((c) => c.type === 'reset')) resets++;
          watcher.ws.terminate();
        }
        term.close();
        (runs[`${path}, ${how}`] ??= []).push(+mbps[how].toFixed(1));
      }
      ratios[path].push(mbps['stalled watcher'] / mbps.alone);
    }
  }
  const best = (name) => Math.max(...runs[name]);
  const spread = (name) => (Math.max(...runs[name]) - Math.min(...runs[name])) / Math.max(...runs[name]);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const paths = Object.keys(ratios);
  return {
    bytes,
    rounds,
    mbps: runs,
    ratioMedian: Object.fromEntries(paths.map((p) => [p, +median(ratios[p]).toFixed(3)])),
    ratioBest: Object.fromEntries(
      paths.map((p) => [p, +(best(`${p}, stalled watcher`) / best(`${p}, alone`)).toFixed(3)]),
    ),
    cpuMsPerMB: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, +median(v).toFixed(2)])),
    /** Stalled watchers that were skipped forward (a reset once they read again), of all the watched runs. */
    watchersSkipped: `${resets}/${rounds * 2}`,
    roundSpread: +Math.max(...Object.keys(runs).map(spread)).toFixed(3),
  };
}

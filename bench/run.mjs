// `npm run bench` (add `-- --quick` for the under-a-minute smoke run): starts a real sshd and a termrelay
// server, runs every scenario, prints a table and writes the results (and a chart). Every run writes under
// bench/results/local/ (untracked); only `--publish` on a full run replaces the published figures,
// bench/results/latest.json and latest.svg, so a partial or casual run never dirties them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { startSshd } from '@termrelay/test-sshd';
import { chart } from './chart.mjs';
import { startRelay } from './lib.mjs';
import {
  browser,
  connectTime,
  cpuPerMB,
  ctrlC,
  echoLatency,
  memory,
  resume,
  throughput,
  watch,
} from './scenarios.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const publish = process.argv.includes('--publish');
const SCENARIOS = {
  throughput,
  cpuPerMB,
  echoLatency,
  ctrlC,
  browser,
  memory,
  connectTime,
  resume,
  watch,
};
if (publish && (quick || only)) {
  process.stderr.write(
    'bench: --publish replaces the published figures, so it needs a full run: drop --quick and --only.\n',
  );
  process.exit(2);
}
const unknown = only?.filter((name) => !(name in SCENARIOS)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `bench: no scenario ${unknown.join(', ')}; the scenarios are ${Object.keys(SCENARIOS).join(', ')}.\n`,
  );
  process.exit(2);
}

const sshd = await startSshd({ extraConfig: ['MaxSessions 1000'] });
const relay = await startRelay(sshd);
const results = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  quick,
  scenarios: {},
};
try {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (only && !only.includes(name)) continue;
    const started = Date.now();
    results.scenarios[name] = await scenario({ sshd, relay, quick });
    process.stderr.write(`\r\x1b[K  ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
} finally {
  relay.stop();
  await sshd.stop();
}

const s = results.scenarios;
const rows = [];
if (s.throughput) {
  const t = s.throughput;
  rows.push([
    'throughput MB/s',
    `openssh ${t.mbps.openssh} · ssh2 ${t.mbps.ssh2} · relay ${t.mbps.relay} · relay+ack ${t.mbps['relay+ack']}`,
  ]);
  rows.push(['  relay / ssh2', `${t.ratioRelay} (goal ≥ 0.90) · with acks ${t.ratioRelayAck}`]);
  rows.push([
    '  frames under flood',
    `${t.relayFramesPerSecond}/s, average ${t.relayAverageFrameBytes} bytes`,
  ]);
}
if (s.echoLatency) {
  const e = s.echoLatency;
  rows.push([
    'echo ms p50/p99 idle',
    `ssh2 ${e.ssh2.p50}/${e.ssh2.p99} · relay ${e.relay.p50}/${e.relay.p99} · added ${e.addedIdle.p50}/${e.addedIdle.p99} (goal ≤ 0.5/2)`,
  ]);
  rows.push([
    'echo ms beside a flood',
    `ssh2 ${e['ssh2+flood'].p50}/${e['ssh2+flood'].p99} · relay ${e['relay+flood'].p50}/${e['relay+flood'].p99} (goal p99 ≤ 20)`,
  ]);
  rows.push(['  frames per keystroke', `relay ${e.relay.framesPerKeystroke} (goal 1)`]);
}
if (s.ctrlC)
  rows.push([
    'Ctrl+C under flood ms',
    `relay ${s.ctrlC.relay.p50} (max ${s.ctrlC.relay.max}) · relay+ack ${s.ctrlC['relay+ack'].p50} (max ${s.ctrlC['relay+ack'].max})`,
  ]);
if (s.cpuPerMB)
  rows.push([
    'CPU ms per MB',
    `ssh2 direct ${s.cpuPerMB.cpuMsPerMB.ssh2Direct} · relay ${s.cpuPerMB.cpuMsPerMB.relay} · ratio ${s.cpuPerMB.ratioRelayVsSsh2} (goal ≤ 1.3)`,
  ]);
if (s.browser) {
  const b = s.browser;
  rows.push([
    'Chromium Ctrl+C ms p50/p90',
    `adaptive window ${b.ctrlCms.adaptive.p50}/${b.ctrlCms.adaptive.p90} · stock ${b.ctrlCms.stock.p50}/${b.ctrlCms.stock.p90} over ${b.tries} (goal p50 ≤ 300)`,
  ]);
  rows.push([
    'Chromium page MB/s',
    Object.entries(b.pageMBps)
      .map(([k, v]) => `${k} ${v.mbps}${v.renderer === k.split(', ')[1] ? '' : ` (ran ${v.renderer})`}`)
      .join(' · '),
  ]);
}
if (s.memory) {
  const m = s.memory;
  rows.push([
    'relay RSS MiB by idle sessions',
    Object.entries(m.rssMiB)
      .map(([k, v]) => `${k}: ${v}`)
      .join(' · '),
  ]);
  rows.push(['  per idle session', `${m.perIdleSessionKiB} KiB (goal ≤ 300)`]);
  rows.push(['  stalled client growth', `${m.stalledClientGrowthMiB} MiB (goal ≤ output cap 1 MiB + 2 MiB)`]);
}
if (s.connectTime)
  rows.push([
    'connect → ready ms',
    `p50 ${s.connectTime.p50} · p99 ${s.connectTime.p99} over ${s.connectTime.sessions}`,
  ]);
if (s.resume) {
  const r = s.resume;
  rows.push([
    'resume → first byte ms',
    `p50 ${r.firstByteMs.p50} · p99 ${r.firstByteMs.p99} (ready p50 ${r.readyMs.p50}) over ${r.reconnects}`,
  ]);
  const best = (name) => Math.max(...r.mbps[name]);
  rows.push([
    '  throughput MB/s on/off',
    `relay ${best('relay, resume on')}/${best('relay, resume off')} (${r.ratioOnOff.relay}) · relay+ack ${best('relay+ack, resume on')}/${best('relay+ack, resume off')} (${r.ratioOnOff['relay+ack']}) · rounds spread ${(r.roundSpread * 100).toFixed(0)}%`,
  ]);
}
if (s.watch) {
  const w = s.watch;
  rows.push([
    'watched / alone MB/s',
    `median of ${w.rounds} rounds: relay ${w.ratioMedian.relay} · relay+ack ${w.ratioMedian['relay+ack']} (goal ≥ 0.90); best runs ${w.ratioBest.relay} · ${w.ratioBest['relay+ack']}; skipped ${w.watchersSkipped}; rounds spread ${(w.roundSpread * 100).toFixed(0)}%`,
  ]);
  const c = w.cpuMsPerMB;
  rows.push([
    '  relay CPU ms/MB',
    `watched/alone: relay ${c['relay, stalled watcher']}/${c['relay, alone']} · relay+ack ${c['relay+ack, stalled watcher']}/${c['relay+ack, alone']}`,
  ]);
}

const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\ntermrelay bench${quick ? ' (quick)' : ''} — ${results.machine}`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);

// Published figures only from a deliberate full run; everything else stays local.
const name = publish ? 'latest' : `local/${quick ? 'quick' : only ? 'partial' : 'full'}`;
mkdirSync(new URL('./results/local/', import.meta.url), { recursive: true });
const base = new URL(`./results/${name}`, import.meta.url);
writeFileSync(new URL(`${base.href}.json`), `${JSON.stringify(results, null, 2)}\n`);
if (s.throughput && s.echoLatency) writeFileSync(new URL(`${base.href}.svg`), chart(results));
console.log(
  `\nwrote bench/results/${name}.json${publish ? '' : ' (add --publish to a full run to update the published figures)'}`,
);

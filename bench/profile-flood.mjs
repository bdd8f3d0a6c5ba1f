// Profiles the relay process under a flood: starts sshd and a termrelay server under `node --cpu-prof`,
// floods one session through it (flow=ack, as the page does), stops the server with SIGTERM so V8 writes
// its profile, and prints the heaviest functions by self time. Not part of `npm run bench`; for finding
// where the relay spends its CPU per MB.
//   node bench/profile-flood.mjs [--mib=128] [--dir=/tmp/termrelay-prof] [--no-ack]
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd } from '@termrelay/test-sshd';
import { prepare, relayTerminal, startRelay } from './lib.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const mib = Number(arg('mib', '128'));
const dir = arg('dir', '/tmp/termrelay-prof');
const flowAck = !process.argv.includes('--no-ack');
mkdirSync(dir, { recursive: true });

const sshd = await startSshd();
const relay = await startRelay(sshd, {}, {}, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
try {
  const term = await relayTerminal(relay, { flowAck });
  await prepare(term);
  const bytes = mib * 2 ** 20;
  const from = term.watcher.output.length;
  const started = performance.now();
  term.write(`head -c ${bytes} /dev/zero | tr '\\0' y; echo; echo DO""NE\n`);
  await term.watcher.waitFor(/DONE/, 600_000, from);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${mib} MiB in ${seconds.toFixed(2)} s: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s\n`);
  term.close();
} finally {
  relay.child.kill('SIGTERM');
  await relay.exited;
  await sshd.stop();
}

const file = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .sort()
  .pop();
const profile = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = profile.timeDeltas;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(apps|packages)\//, '$1/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  total += dt[i] ?? 0;
}
process.stdout.write(`profile ${file}: ${(total / 1e3).toFixed(0)} ms sampled\n`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  process.stdout.write(
    `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${key}\n`,
  );
}

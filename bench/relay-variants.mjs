// Relay throughput and the relay process's CPU per MB (Node client) for several server configurations in
// one run, rounds alternating between them: for choosing the output chain's settings. Not part of
// `npm run bench`.
//   node bench/relay-variants.mjs [--mib=128] [--rounds=3] [--ack] '{"name":{...console overrides}}' ...
import { startSshd } from '@termrelay/test-sshd';
import { cpuSecondsOf, prepare, relayTerminal, startRelay } from './lib.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const mib = Number(arg('mib', '128'));
const rounds = Number(arg('rounds', '3'));
const flowAck = process.argv.includes('--ack');
const variants = Object.assign(
  {},
  ...process.argv
    .slice(2)
    .filter((a) => a.startsWith('{'))
    .map((a) => JSON.parse(a)),
);
const sshd = await startSshd();
const relays = {};
for (const [name, overrides] of Object.entries(variants)) relays[name] = await startRelay(sshd, overrides);
const best = {};
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, relay] of Object.entries(relays)) {
      process.stderr.write(`\r\x1b[K  ${name} round ${round + 1}/${rounds}`);
      const term = await relayTerminal(relay, { flowAck });
      await prepare(term);
      const bytes = mib * 2 ** 20;
      const from = term.watcher.output.length;
      const cpu = cpuSecondsOf(relay.pid);
      const started = performance.now();
      term.write(`head -c ${bytes} /dev/zero | tr '\\0' y; echo; echo DO""NE\n`);
      await term.watcher.waitFor(/DONE/, 600_000, from);
      const mbps = bytes / 1e6 / ((performance.now() - started) / 1000);
      const cpuMsPerMB = ((cpuSecondsOf(relay.pid) - cpu) * 1000) / (bytes / 1e6);
      term.close();
      const b = (best[name] ??= { mbps: 0, cpuMsPerMB: Infinity });
      b.mbps = Math.max(b.mbps, +mbps.toFixed(1));
      b.cpuMsPerMB = Math.min(b.cpuMsPerMB, +cpuMsPerMB.toFixed(3));
    }
  }
} finally {
  for (const relay of Object.values(relays)) relay.stop();
  await sshd.stop();
}
process.stderr.write('\n');
process.stdout.write(`${JSON.stringify({ mib, rounds, flowAck, variants, best }, null, 1)}\n`);

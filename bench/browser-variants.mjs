// Ctrl+C under `yes` and page throughput in headless Chromium for several server configurations in one
// run, tries alternating between them: for choosing the output chain's buffer sizes. Not part of
// `npm run bench` (the browser scenario there compares the adaptive SSH window with ssh2's stock one).
//   node bench/browser-variants.mjs [--tries=10] '{"name":{...console overrides}}' ...
import { startSshd } from '@termrelay/test-sshd';
import { launchChromium, pageTerminal, startRelay, WEB_ROOT } from './lib.mjs';

const MiB = 2 ** 20;
const tries = Number(process.argv.find((a) => a.startsWith('--tries='))?.slice(8) ?? 10);
const variants = Object.assign(
  {},
  ...process.argv
    .slice(2)
    .filter((a) => a.startsWith('{'))
    .map((a) => JSON.parse(a)),
);
const progress = (text) => process.stderr.write(`\r\x1b[K  ${text}`);
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: Math.round(at(0.5)), p90: Math.round(at(0.9)), samples: samples.map(Math.round) };
};

const sshd = await startSshd();
const relays = {};
for (const [name, overrides] of Object.entries(variants))
  relays[name] = await startRelay(sshd, overrides, { webRoot: WEB_ROOT });
const chromium = await launchChromium();
const result = { variants, tries, ctrlCms: {}, pageMBps: {} };
try {
  const pages = {};
  for (const [name, relay] of Object.entries(relays)) pages[name] = await pageTerminal(chromium, relay);
  const samples = Object.fromEntries(Object.keys(relays).map((n) => [n, []]));
  for (let i = 0; i < tries; i++) {
    for (const [name, term] of Object.entries(pages)) {
      progress(`ctrl-c: ${name} ${i + 1}/${tries}`);
      await term.type('clear; yes');
      await new Promise((r) => setTimeout(r, 1500));
      const started = performance.now();
      await term.page.keyboard.press('Control+C');
      await term.waitForScreen(/\$$/m);
      samples[name].push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  for (const term of Object.values(pages)) await term.close();
  for (const [name, s] of Object.entries(samples)) result.ctrlCms[name] = summary(s);
  const floodBytes = 16 * MiB;
  for (let round = 0; round < 3; round++) {
    for (const [name, relay] of Object.entries(relays)) {
      progress(`page throughput: ${name} round ${round + 1}`);
      const term = await pageTerminal(chromium, relay);
      await term.type('clear');
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      await term.type(`head -c ${floodBytes} /dev/zero | tr '\\0' y; echo; echo DO""NE`);
      await term.parsed(/DONE\r\n/);
      const mbps = +(floodBytes / 1e6 / ((performance.now() - started) / 1000)).toFixed(2);
      await term.close();
      result.pageMBps[name] = Math.max(result.pageMBps[name] ?? 0, mbps);
    }
  }
} finally {
  await chromium.close();
  for (const relay of Object.values(relays)) relay.stop();
  await sshd.stop();
}
process.stderr.write('\n');
process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);

// A hostile client for the control-flood case, run as its own process so that its sending loop never
// shares an event loop with the server or with the typist being measured. Usage:
//   node control-flood-client.mjs <console ws url> <origin> <token> <big|small> <durationMs>
import { WebSocket } from 'ws';

const [url, origin, token, kind, durationText] = process.argv.slice(2);
const until = Date.now() + Number(durationText);
const frame =
  kind === 'big'
    ? '['.repeat(1024 * 1024)
    : `{"type":"resize","cols":80,"rows":24,"pad":"${'x'.repeat(960)}"}`;
// About 3 MB/s of control frames, as in the security review: 3 big frames, or ~3,000 small ones, a second.
const BYTES_PER_SECOND = 3 * 1024 * 1024;
const TICK_MS = 10;
const codes = new Map();
const report = () => process.stdout.write(`${JSON.stringify(Object.fromEntries(codes))}\n`);
// Whatever the server does, this process reports and leaves soon after its duration.
setTimeout(
  () => {
    report();
    process.exit(0);
  },
  Number(durationText) + 5000,
).unref();

function once() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin, headers: { Authorization: `Bearer ${token}` } });
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (isBinary || !String(data).includes('"ready"')) return;
      if (kind === 'big') {
        ws.send(frame);
        return;
      }
      let budget = 0;
      const pump = () => {
        budget += (BYTES_PER_SECOND * TICK_MS) / 1000;
        while (ws.readyState === WebSocket.OPEN && budget >= frame.length) {
          ws.send(frame);
          budget -= frame.length;
        }
        if (ws.readyState === WebSocket.OPEN) setTimeout(pump, TICK_MS);
      };
      pump();
    });
    const stuck = setTimeout(() => ws.terminate(), 5000);
    ws.on('close', (code) => {
      clearTimeout(stuck);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      resolve();
    });
  });
}

while (Date.now() < until) {
  const started = Date.now();
  await once();
  // A big frame a third of a second; each reconnect also costs an SSH login on the target.
  const pause =
    kind === 'big' ? Math.max(0, (frame.length / BYTES_PER_SECOND) * 1000 - (Date.now() - started)) : 100;
  await new Promise((resolve) => setTimeout(resolve, pause));
}
report();
process.exit(0);

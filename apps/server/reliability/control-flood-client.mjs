// A hostile client for the control-flood case, run as its own process so that its sending loop never
// shares an event loop with the server or with the typist being measured. Usage:
//   node control-flood-client.mjs <console ws url> <origin> <token> <big|small> <durationMs>
import { WebSocket } from 'ws';

const [url, origin, token, kind, durationText] = process.argv.slice(2);
const until = Date.now() + Number(durationText);
const frame =
  kind === 'big'
    ? '['.repeat(1024 * 1024)
    : `{"type":"resize","cols":80,"rows":24,"pad":"${'x'.repeat(3900)}"}`;
const codes = new Map();

function once() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin, headers: { Authorization: `Bearer ${token}` } });
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (isBinary || !String(data).includes('"ready"')) return;
      const pump = () => {
        while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 1024 * 1024) {
          ws.send(frame);
          if (kind === 'big') return;
        }
        if (ws.readyState === WebSocket.OPEN && kind !== 'big') setTimeout(pump, 1);
      };
      pump();
    });
    ws.on('close', (code) => {
      codes.set(code, (codes.get(code) ?? 0) + 1);
      resolve();
    });
  });
}

while (Date.now() < until) await once();
process.stdout.write(`${JSON.stringify(Object.fromEntries(codes))}\n`);

// The client side of the black-hole test (black-hole.integration.test.ts), run inside its own network
// namespace with `ip netns exec`. It opens a console with flow=ack, acks every frame as it arrives, and
// watches its own connection: when nothing (no frame, no pong) has come for `deadMs` it drops the socket
// and resumes from the offset it has, retrying until the server answers. It reports on stdout as JSON
// lines and takes commands on stdin ({"cmd":"type","text":…}, {"cmd":"close"}); every frame it receives goes to stdout as a `data` event.
// It never decides the test's outcome: it reports what it saw, the test judges.
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

/** @type {{ base: string, target: string, origin: string, token: string, deadMs: number, retryMs: number }} */
const options = JSON.parse(process.argv[2] ?? '{}');
const report = (event) => process.stdout.write(`${JSON.stringify({ at: Date.now(), ...event })}\n`);

let offset = 0;
let ready;
let ws;
let lastHeard = Date.now();
let ending = false;
let retryTimer;

function connect() {
  const url = ready
    ? `${options.base}/api/sessions/${ready.session}/console?resume=${ready.resume}&offset=${offset}&cols=80&rows=24&flow=ack`
    : `${options.base}/api/targets/${options.target}/console?cols=80&rows=24&flow=ack`;
  const socket = new WebSocket(url, {
    origin: options.origin,
    headers: { authorization: `Bearer ${options.token}` },
    handshakeTimeout: options.deadMs,
  });
  ws = socket;
  lastHeard = Date.now();
  socket.on('message', (data, isBinary) => {
    lastHeard = Date.now();
    if (isBinary) {
      report({ event: 'data', offset, base64: data.toString('base64') });
      offset += data.length;
      if (socket.readyState === WebSocket.OPEN)
        socket.send(JSON.stringify({ type: 'ack', bytes: data.length }));
      return;
    }
    const message = JSON.parse(data.toString('utf8'));
    if (message.type === 'ready') {
      const resumed = ready !== undefined;
      if (message.offset !== offset) report({ event: 'gap', have: offset, offset: message.offset });
      ready = message;
      report({
        event: resumed ? 'resumed' : 'ready',
        offset: message.offset,
        inputOffset: message.inputOffset,
      });
    } else {
      report({ event: 'control', message });
    }
  });
  socket.on('pong', () => (lastHeard = Date.now()));
  socket.on('unexpected-response', (_req, res) => {
    report({ event: 'refused', status: res.statusCode });
    socket.terminate();
  });
  socket.on('error', (error) => report({ event: 'error', code: error.code ?? error.message }));
  socket.on('close', (code) => {
    if (ws !== socket) return;
    report({ event: 'closed', code });
    if (!ending && ready) retryTimer = setTimeout(connect, options.retryMs);
  });
}

// Pings keep `lastHeard` fresh on a quiet but live connection; on a black hole nothing comes back.
setInterval(() => {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  if (Date.now() - lastHeard > options.deadMs) {
    report({ event: 'lost', silentMs: Date.now() - lastHeard });
    ws.terminate();
    return;
  }
  ws.ping();
}, options.deadMs / 4);

const commands = createInterface({ input: process.stdin });
// The test went away: so does this client.
commands.on('close', () => process.exit(0));
commands.on('line', (line) => {
  const command = JSON.parse(line);
  if (command.cmd === 'type' && ws?.readyState === WebSocket.OPEN) {
    ws.send(Buffer.from(command.text, 'utf8'), { binary: true });
  } else if (command.cmd === 'close') {
    ending = true;
    clearTimeout(retryTimer);
    ws?.close(1000);
    setTimeout(() => process.exit(0), 500).unref();
  }
});

connect();

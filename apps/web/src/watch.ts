// The watch page: a read-only terminal that follows a shared session (/watch?session=ID&key=K). It never
// sends input: keystrokes stay in the page. It resizes to the owner's terminal, resets when the server
// skipped it forward, and says how the watch ended.
import { describeClose, parseWatchControl, type ExitMessage } from '@termrelay/protocol';
import { createTerminal } from './terminal.js';
import './style.css';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
const bar = document.getElementById('bar') as HTMLElement;
const console_ = createTerminal(document.getElementById('terminal') as HTMLElement);
const term = console_.term;
term.options.disableStdin = true;
term.options.cursorBlink = false;

function setState(state: string, words: string): void {
  bar.dataset.state = state;
  status.textContent = words;
}

const session = params.get('session') ?? '';
const key = params.get('key') ?? '';
const url = `${location.origin.replace(/^http/, 'ws')}/api/sessions/${encodeURIComponent(session)}/watch?key=${encodeURIComponent(key)}`;
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
let exit: ExitMessage | undefined;
let opened = false;
setState('connecting', 'Connecting…');
ws.addEventListener('open', () => (opened = true));
ws.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
  if (typeof event.data !== 'string') return term.write(new Uint8Array(event.data));
  const message = parseWatchControl(event.data);
  if (message?.type === 'ready' || message?.type === 'size') {
    term.resize(message.cols, message.rows);
    if (message.type === 'ready') setState('connected', 'Watching (read-only)');
  } else if (message?.type === 'reset') {
    term.reset();
    term.write('\x1b[2m[this page fell behind: earlier output was skipped]\x1b[0m\r\n');
  } else if (message?.type === 'exit') exit = message;
});
ws.addEventListener('close', (event) => {
  const words = opened
    ? describeClose(event.code, event.reason, exit ? { exit } : {})
    : 'This watch link does not open (revoked, expired, or the session ended)';
  setState('ended', words);
});

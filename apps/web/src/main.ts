// The page: picks the target (?target=ID, the only one, or a picker) and keeps the URL naming it, opens a
// console into the terminal, and keeps the header honest about the connection: connecting, connected, or
// ended with the cause in words and a Reconnect button (Enter reconnects too). While a console is open,
// leaving the page asks first.
import { Connection, consoleUrl, type ConnectionState } from './connection.js';
import { describeRefusal } from './end-state.js';
import { exchangeToken, signIn, takeTokenFromUrl } from './sign-in.js';
import { guardLeaving } from './leave-guard.js';
import { chooseStart, urlNamingTarget, type TargetInfo } from './target-choice.js';
import { createShareControl } from './share.js';
import { createTerminal } from './terminal.js';
import './style.css';

const params = new URLSearchParams(location.search);
// A token in the URL (the link the server prints) is exchanged for a cookie and leaves the address bar.
const urlToken = takeTokenFromUrl();
// Flow control is on unless a page explicitly asks for the plain mode (?flow=none), e.g. to compare.
const flowAck = params.get('flow') !== 'none';

const bar = document.getElementById('bar') as HTMLElement;
const targetLabel = document.getElementById('target') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;
const picker = document.getElementById('picker') as HTMLSelectElement;
const reconnectButton = document.getElementById('reconnect') as HTMLButtonElement;
const signInForm = document.getElementById('signin') as HTMLFormElement;
const signInInput = document.getElementById('signin-token') as HTMLInputElement;
const signInHint = document.getElementById('signin-hint') as HTMLElement;
const console_ = createTerminal(document.getElementById('terminal') as HTMLElement);
const share = createShareControl(bar, (message) => connection?.sendControl(message));

let connection: Connection | undefined;
let current: TargetInfo | undefined;
let open = false;
guardLeaving(window, () => open);

function setState(state: ConnectionState | 'error' | 'choosing', message?: string): void {
  bar.dataset.state = state;
  open = state === 'connected';
  const words = {
    connecting: 'Connecting…',
    connected: 'Connected',
    ended: 'Session ended',
    error: 'Error',
    choosing: 'Choose a target',
  };
  status.textContent = message ?? words[state];
  status.title = status.textContent;
  reconnectButton.hidden = !(state === 'ended' || state === 'error') || !current;
  document.title = current ? `${current.label} — termrelay` : 'termrelay';
}

function connect(target: TargetInfo): void {
  connection?.dispose();
  current = target;
  targetLabel.textContent = target.label;
  // A reload or a bookmark comes back to this target.
  history.replaceState(history.state, '', urlNamingTarget(location.href, target.id));
  const term = console_.term;
  term.reset();
  const size = console_.fit();
  connection = new Connection(term, {
    url: consoleUrl(location, target.id, size, flowAck),
    size,
    flowAck,
    onControl: (message) => share.onControl(message),
    onState: (state, message) => {
      setState(state, message);
      if (state === 'ended') share.reset();
      if (state === 'connected') term.focus();
      if (state === 'ended') reconnectButton.focus();
    },
  });
  term.focus();
}

reconnectButton.addEventListener('click', () => {
  if (current) connect(current);
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && connection?.isEnded && current) {
    event.preventDefault();
    connect(current);
  }
});
picker.addEventListener('change', () => {
  const label = picker.selectedOptions[0]?.textContent ?? picker.value;
  connect({ id: picker.value, label });
});

async function loadTargets(): Promise<TargetInfo[] | undefined> {
  for (;;) {
    let res: Response;
    try {
      res = await fetch('/api/targets', { credentials: 'same-origin', cache: 'no-store' });
    } catch {
      setState('error', 'Cannot reach the console server');
      return undefined;
    }
    if (res.status === 401) {
      setState('error', 'Sign in to open a console');
      await signIn(signInForm, signInInput, signInHint);
      continue;
    }
    if (!res.ok) {
      setState('error', describeRefusal(res.status, await res.json().catch(() => undefined)));
      return undefined;
    }
    return (await res.json()) as TargetInfo[];
  }
}

async function start(): Promise<void> {
  if (urlToken && !(await exchangeToken(urlToken)))
    signInHint.textContent = 'The token in the link was not accepted';
  const targets = await loadTargets();
  if (!targets) return;
  const choice = chooseStart(targets, params.get('target'));
  if (choice.kind === 'open') return connect(choice.target);
  if (choice.kind === 'none') return setState('error', 'No targets are configured');
  picker.hidden = false;
  picker.append(new Option('Choose a target…', '', true, true));
  for (const t of choice.targets) picker.append(new Option(t.label, t.id));
  (picker.options[0] as HTMLOptionElement).disabled = true;
  setState('choosing');
  picker.focus();
}

void start();

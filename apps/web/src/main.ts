// The page: picks the target (?target=ID, the only one, or a picker) and keeps the URL naming it, opens a
// console into the terminal (resuming the one this tab had before a reload), and keeps the header honest
// about the connection: connecting, connected, reconnecting, or ended with the cause in words and a
// Reconnect button (Enter reconnects too). Disconnect ends the session on purpose. While a console is
// open, leaving the page asks first; on `pagehide` it saves what a reload needs to come back. A
// `?token=` or `?ticket=` in the URL leaves the address bar at once.
import { describeRefusal } from './end-state.js';
import { guardLeaving } from './leave-guard.js';
import { ResumableConsole, type ConsoleState } from './resumable-console.js';
import { SessionStore } from './session-store.js';
import { exchangeToken, signIn, takeTokenFromUrl } from './sign-in.js';
import { Snapshotter } from './snapshot.js';
import { chooseStart, urlNamingTarget, type TargetInfo } from './target-choice.js';
import { createShareControl } from './share.js';
import { createTerminal } from './terminal.js';
import { takeTicketFromUrl, ticketHeaders, withTicket } from './ticket.js';
import './style.css';

const params = new URLSearchParams(location.search);
// A token in the URL (the link the server prints) is exchanged for a cookie and leaves the address bar.
const urlToken = takeTokenFromUrl();
// A ticket from the embedding platform leaves the address bar too, and stays in memory only.
const ticket = takeTicketFromUrl();
// Flow control is on unless a page explicitly asks for the plain mode (?flow=none), e.g. to compare.
const flowAck = params.get('flow') !== 'none';

const bar = document.getElementById('bar') as HTMLElement;
const targetLabel = document.getElementById('target') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;
const picker = document.getElementById('picker') as HTMLSelectElement;
const reconnectButton = document.getElementById('reconnect') as HTMLButtonElement;
const disconnectButton = document.getElementById('disconnect') as HTMLButtonElement;
const signInForm = document.getElementById('signin') as HTMLFormElement;
const signInInput = document.getElementById('signin-token') as HTMLInputElement;
const signInHint = document.getElementById('signin-hint') as HTMLElement;
const console_ = createTerminal(document.getElementById('terminal') as HTMLElement);
const snapshots = new Snapshotter(console_.term);
const share = createShareControl(bar, (message) => session?.sendControl(message));

let session: ResumableConsole | undefined;
let current: TargetInfo | undefined;
let open = false;
// The browser cannot tell a reload (which loses nothing now) from closing the tab (which leaves the
// session to end when its grace runs out): so it still asks, for both, while a session is alive.
guardLeaving(window, () => open);
// Unloading closes the socket with 1001, which detaches: the session waits for the page that follows.
window.addEventListener('pagehide', () => session?.saveForReload());
window.addEventListener('online', () => session?.retryNow());

/** The tab's sessionStorage, or undefined where the browser refuses it (then a reload starts afresh). */
function tabStorage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

function setState(state: ConsoleState | 'error' | 'choosing', message?: string): void {
  bar.dataset.state = state;
  open = state === 'connected' || state === 'reconnecting';
  const words = {
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    ended: 'Session ended',
    error: 'Error',
    choosing: 'Choose a target',
  };
  status.textContent = message ?? words[state];
  status.title = status.textContent;
  reconnectButton.hidden = !(state === 'ended' || state === 'error') || !current;
  disconnectButton.hidden = !(state === 'connecting' || state === 'connected' || state === 'reconnecting');
  document.title = current ? `${current.label} — termrelay` : 'termrelay';
}

function connect(target: TargetInfo): void {
  // Another target: the console before it ends (a clean close), it is not left waiting.
  session?.dispose();
  current = target;
  targetLabel.textContent = target.label;
  // A reload or a bookmark comes back to this target.
  history.replaceState(history.state, '', urlNamingTarget(location.href, target.id));
  const term = console_.term;
  const opened = new ResumableConsole({
    term,
    target: target.id,
    location,
    store: new SessionStore(tabStorage(), target.id),
    snapshots,
    fit: () => console_.fit(),
    decorateUrl: (url) => withTicket(url, ticket),
    flowAck,
    onControl: (message) => share.onControl(message),
    onState: (state, message) => {
      if (opened !== session) return;
      setState(state, message);
      if (state === 'ended') share.reset();
      if (state === 'connected') term.focus();
      if (state === 'ended') reconnectButton.focus();
    },
  });
  session = opened;
  void opened.start();
  term.focus();
}

reconnectButton.addEventListener('click', () => {
  if (current) connect(current);
});
disconnectButton.addEventListener('click', () => session?.disconnect());
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && session?.currentState === 'ended' && current) {
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
      res = await fetch('/api/targets', {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: ticketHeaders(ticket),
      });
    } catch {
      setState('error', 'Cannot reach the console server');
      return undefined;
    }
    // A refused ticket is the platform's to renew: a token form would not help.
    if (res.status === 401 && !ticket) {
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
  if (choice.kind === 'none')
    return setState('error', ticket ? 'This ticket opens no target' : 'No targets are configured');
  picker.hidden = false;
  picker.append(new Option('Choose a target…', '', true, true));
  for (const t of choice.targets) picker.append(new Option(t.label, t.id));
  (picker.options[0] as HTMLOptionElement).disabled = true;
  setState('choosing');
  picker.focus();
}

void start();

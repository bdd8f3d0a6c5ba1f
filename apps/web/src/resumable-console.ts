// One console session as the page sees it, across as many sockets as it takes: opens it (or resumes the
// one this tab had before a reload, from its snapshot), counts the output offset as bytes go to xterm
// and as xterm parses them, acks, reports resizes, keeps input exactly-once through the journal, and on
// a drop (1006, or a socket that could not even open) reconnects by itself with backoff until the
// server says the session is gone. Ends with a cause stay ended. It owns its sockets, timers and
// subscriptions and releases them on dispose; the header and buttons are the page's (main.ts).
import type { ClientControlMessage, ReadyMessage, ServerControlMessage } from '@termrelay/protocol';
import type { IDisposable, Terminal } from '@xterm/xterm';
import {
  Connection,
  consoleUrl,
  refusalUrl,
  resumeUrl,
  type ConnectionClose,
  type ResumeTarget,
} from './connection.js';
import { describeEnd, fetchRefusal } from './end-state.js';
import { AckBatcher } from './flow-control.js';
import { InputJournal, type InputJournalOptions } from './input-journal.js';
import { Reconnector, type ReconnectOptions } from './reconnect.js';
import { ResizeReporter, type Size } from './resize.js';
import type { SessionStore } from './session-store.js';
import type { Snapshotter } from './snapshot.js';

export type ConsoleState = 'connecting' | 'connected' | 'reconnecting' | 'ended';

/** What the terminal shows where output was not kept (dim, on a line of its own). */
export const GAP_LINE = '\x1b[2mearlier output was not kept\x1b[22m\r\n';

export interface ResumableConsoleOptions {
  readonly term: Terminal;
  /** Adds what every console URL of this page carries (a signed ticket). The default adds nothing. */
  readonly decorateUrl?: (url: string) => string;
  readonly target: string;
  /** Where the page's origin is: console URLs are built from it. */
  readonly location: Location;
  readonly store: SessionStore;
  readonly snapshots: Snapshotter;
  /** Fits the terminal to its container now and returns its size. */
  fit(): Size;
  /** Opt in to acknowledgement flow control (`flow=ack`): what makes resume lossless. */
  readonly flowAck: boolean;
  /** Backoff between tries. The defaults are 250 ms doubling to 5 s (see reconnect.ts). */
  readonly reconnect?: ReconnectOptions;
  /** Input kept for re-sending. The default is 1 MiB (see input-journal.ts). */
  readonly journal?: InputJournalOptions;
  onState(state: ConsoleState, message?: string): void;
  /** Server control messages the console does not handle itself (sharing). */
  onControl?(message: ServerControlMessage): void;
}

export class ResumableConsole implements IDisposable {
  private readonly term: Terminal;
  private readonly encoder = new TextEncoder();
  private readonly journal: InputJournal;
  private readonly reconnector: Reconnector;
  private readonly subscriptions: IDisposable[] = [];
  private connection: Connection | undefined;
  /** Per socket: acks count this socket's bytes, resizes what this socket's server side knows. */
  private socketParts: IDisposable[] = [];
  private resize: ResizeReporter | undefined;
  private ack: AckBatcher | undefined;
  /** The session to resume, once a ready named it (or the tab kept it across a reload). */
  private resumeAt: ResumeTarget | undefined;
  /** Output offset of the next byte to hand to xterm: where an in-page resume starts. */
  private handed = 0;
  /** Output offset xterm has parsed: what a snapshot shows, and where a reload resumes. */
  private parsed = 0;
  private everReady = false;
  /** A snapshot is being written back: the screen is half of it, not worth saving. */
  private restoring = false;
  /** Disconnect was asked while no socket was open: end the session as soon as one is. */
  private endWhenReady = false;
  private state: ConsoleState = 'connecting';
  private disposed = false;

  constructor(private readonly options: ResumableConsoleOptions) {
    this.term = options.term;
    this.journal = new InputJournal(options.journal);
    this.reconnector = new Reconnector(options.reconnect);
    const term = this.term;
    this.subscriptions.push(
      term.onData((data) => this.input(this.encoder.encode(data))),
      // Some mouse reports are raw bytes, not text.
      term.onBinary((data) => this.input(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff))),
      term.onResize((size) => this.resize?.update({ cols: size.cols, rows: size.rows })),
      this.reconnector,
    );
  }

  get currentState(): ConsoleState {
    return this.state;
  }

  /** The session's id, once known: for a user to quote to an operator. */
  get sessionId(): string | undefined {
    return this.resumeAt?.session;
  }

  /** Resumes the session this tab kept (with its snapshot, when there is one), or opens a new one. */
  async start(): Promise<void> {
    const kept = this.options.store.loadResume();
    const snapshot = kept && this.options.store.loadSnapshot(kept.session);
    this.term.reset();
    if (kept) {
      this.resumeAt = kept;
      if (snapshot) {
        this.restoring = true;
        await this.options.snapshots.restore(snapshot);
        this.restoring = false;
        if (this.isOver) return;
        this.handed = this.parsed = snapshot.offset;
      }
      // Without a snapshot the screen starts empty and the server replays what it kept from byte 0.
    }
    this.setState('connecting');
    this.open();
  }

  /** Ends the session on purpose (the Disconnect button): the shell is closed, not kept. */
  disconnect(): void {
    if (this.state === 'ended') return;
    this.endWhenReady = true;
    // Attached: say so now. Still opening: the ready will (see onReady).
    if (this.connection && this.journal.isAttached) return this.connection.end();
    if (this.connection) return;
    // Between tries: end it on the server too, if it can be reached right now.
    if (!this.reconnector.hurry(() => this.open())) this.finish('Disconnected');
  }

  /** Tries again now instead of waiting out the backoff (the browser says it is back online). */
  retryNow(): void {
    this.reconnector.hurry(() => this.open());
  }

  /**
   * Keeps where to resume and what the screen shows, for the page that comes after a reload. Called on
   * `pagehide`; the socket is left for the browser to close (1001: the session detaches, not ends).
   */
  saveForReload(): void {
    const at = this.resumeAt;
    // While restoring, what the last page saved is still in storage and still right.
    if (!at || this.state === 'ended' || this.restoring) return;
    const offset = this.parsed;
    this.options.store.saveResume({ ...at, offset });
    this.options.store.saveSnapshot({ session: at.session, offset, ...this.options.snapshots.take() });
  }

  /** Ends the session (a clean close) and stops everything: the page moves to another target. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.state = 'ended';
    this.options.store.clear();
    this.dropSocket();
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }

  /** Sends a control message on the socket attached now (dropped while reconnecting). */
  sendControl(message: ClientControlMessage): void {
    this.connection?.sendControl(message);
  }

  private open(): void {
    if (this.isOver) return;
    const { location, target, flowAck } = this.options;
    const size = this.options.fit();
    const plainUrl = this.resumeAt
      ? resumeUrl(location, this.resumeAt, this.handed, size, flowAck)
      : consoleUrl(location, target, size, flowAck);
    const url = this.options.decorateUrl ? this.options.decorateUrl(plainUrl) : plainUrl;
    const connection = new Connection(url, {
      onReady: (ready) => this.onReady(ready),
      onReset: () => this.term.write('\x1bc' + GAP_LINE),
      onOutput: (bytes) => this.onOutput(bytes),
      onClose: (close) => void this.onClose(connection, close),
      onControl: (message) => this.options.onControl?.(message),
    });
    this.connection = connection;
    const ack = flowAck
      ? new AckBatcher((bytes) => connection.sendControl({ type: 'ack', bytes }))
      : undefined;
    const resize = new ResizeReporter((next) => connection.sendControl({ type: 'resize', ...next }));
    resize.reset(size);
    this.resize = resize;
    this.ack = ack;
    this.socketParts = [resize, ...(ack ? [ack] : [])];
  }

  private onReady(ready: ReadyMessage): void {
    this.resumeAt = { session: ready.session, resume: ready.resume };
    this.everReady = true;
    // Where this socket's output starts; a later reset (a gap) starts the screen afresh from here.
    this.handed = ready.offset;
    this.options.store.saveResume({ ...this.resumeAt, offset: this.parsed });
    this.reconnector.succeeded();
    if (this.endWhenReady) return this.connection?.end();
    for (const bytes of this.journal.attach(ready.inputOffset)) this.connection?.send(bytes);
    this.setState('connected');
  }

  private onOutput(bytes: Uint8Array): void {
    const length = bytes.length;
    this.handed += length;
    const end = this.handed;
    const ack = this.ack;
    this.term.write(bytes, () => {
      this.parsed = end;
      ack?.parsed(length);
    });
  }

  private input(bytes: Uint8Array): void {
    if (this.state === 'ended') return;
    if (this.journal.write(bytes)) this.connection?.send(bytes);
  }

  private async onClose(connection: Connection, close: ConnectionClose): Promise<void> {
    if (connection !== this.connection) return;
    this.dropSocket();
    if (this.isOver) return;
    if (!close.opened) {
      // The upgrade failed: the browser hides the server's answer, so ask for it again over HTTP.
      const refusal = await fetchRefusal(refusalUrl(this.options.location, connection.url));
      if (this.isOver) return;
      if (!refusal) {
        // The network, not a refusal: a session that may still be held is worth another try.
        if (this.resumeAt && !this.endWhenReady) return this.retry();
        return this.finish(this.endWhenReady ? 'Disconnected' : 'Cannot reach the console server');
      }
      if (refusal.code === 'session_not_found' && this.resumeAt && !this.everReady && !this.endWhenReady) {
        // The session this tab had before the reload ended while it was away: open a new one.
        return this.startOver();
      }
      if (refusal.code === 'session_not_found' && this.resumeAt) {
        return this.finish(this.endWhenReady ? 'Disconnected' : 'The session ended while disconnected');
      }
      return this.finish(refusal.words);
    }
    // 1006: the connection broke, nobody ended the session. Known sessions are resumed.
    if (close.code === 1006 && this.resumeAt && !this.endWhenReady) return this.retry();
    let message = describeEnd(close.code, close.reason, close.exit);
    // The id lets a user quote the session to an operator, whose log has the details.
    if (this.resumeAt && close.code !== 1000) message += ` (session ${this.resumeAt.session})`;
    this.finish(message);
  }

  private get isOver(): boolean {
    return this.disposed || this.state === 'ended';
  }

  private retry(): void {
    this.setState('reconnecting');
    this.reconnector.schedule(() => this.open());
  }

  private startOver(): void {
    this.options.store.clear();
    this.resumeAt = undefined;
    this.handed = this.parsed = 0;
    this.term.reset();
    this.open();
  }

  private finish(message: string): void {
    this.state = 'ended';
    this.reconnector.cancel();
    this.options.store.clear();
    this.options.onState('ended', message);
  }

  private dropSocket(): void {
    this.journal.detach();
    for (const d of this.socketParts.splice(0)) d.dispose();
    this.resize = undefined;
    this.ack = undefined;
    const connection = this.connection;
    this.connection = undefined;
    connection?.dispose();
  }

  private setState(state: ConsoleState): void {
    this.state = state;
    this.options.onState(state);
  }
}

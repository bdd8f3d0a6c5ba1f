// Our attach layer between xterm.js and the console WebSocket (the stock attach addon has no flow control
// and no resize, and sends input as text): keystrokes out as UTF-8 in binary frames, output in as bytes
// straight into xterm (which keeps multibyte characters split across frames intact), control messages
// as JSON text frames, and acks from xterm's parser back to the server.
import { parseServerControl, type ExitMessage, type ServerControlMessage } from '@termrelay/protocol';
import type { IDisposable, Terminal } from '@xterm/xterm';
import { describeEnd, fetchRefusal } from './end-state.js';
import { AckBatcher } from './flow-control.js';
import { ResizeReporter, type Size } from './resize.js';

export type ConnectionState = 'connecting' | 'connected' | 'ended';

export interface ConnectionOptions {
  /** ws(s):// URL of the console, with cols/rows (and flow=ack) already set. */
  readonly url: string;
  readonly size: Size;
  /** Opt in to acknowledgement flow control. */
  readonly flowAck: boolean;
  onState(state: ConnectionState, message?: string): void;
  /** Every other server control message (sharing). */
  onControl?(message: ServerControlMessage): void;
}

export function consoleUrl(location: Location, target: string, size: Size, flowAck: boolean): string {
  // The same origin the page came from, with ws(s) for http(s): behind TLS this is wss.
  const base = location.origin.replace(/^http/, 'ws');
  const params = new URLSearchParams({ cols: String(size.cols), rows: String(size.rows) });
  if (flowAck) params.set('flow', 'ack');
  return `${base}/api/targets/${encodeURIComponent(target)}/console?${params.toString()}`;
}

/** The console URL over plain HTTP(S), to ask why an upgrade was refused: built from the page's origin. */
export function refusalUrl(location: Location, wsUrl: string): string {
  const url = new URL(wsUrl);
  return `${location.origin}${url.pathname}${url.search}`;
}

export class Connection implements IDisposable {
  private readonly ws: WebSocket;
  private readonly disposables: IDisposable[] = [];
  private readonly encoder = new TextEncoder();
  private readonly ack: AckBatcher | undefined;
  private readonly resize: ResizeReporter;
  private exit: ExitMessage | undefined;
  private sessionId: string | undefined;
  private opened = false;
  private ended = false;

  constructor(
    private readonly term: Terminal,
    private readonly options: ConnectionOptions,
  ) {
    this.ws = new WebSocket(options.url);
    this.ws.binaryType = 'arraybuffer';
    this.ack = options.flowAck
      ? new AckBatcher((bytes) => this.sendControl({ type: 'ack', bytes }))
      : undefined;
    this.resize = new ResizeReporter((size) => this.sendControl({ type: 'resize', ...size }));
    this.resize.reset(options.size);
    options.onState('connecting');

    this.ws.onopen = () => {
      this.opened = true;
    };
    this.ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => this.onMessage(event.data);
    this.ws.onclose = (event) => void this.onClose(event.code, event.reason);

    this.disposables.push(
      term.onData((data) => this.sendInput(this.encoder.encode(data))),
      // Some mouse reports are raw bytes, not text.
      term.onBinary((data) => this.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff))),
      term.onResize((size) => this.resize.update({ cols: size.cols, rows: size.rows })),
    );
  }

  get isEnded(): boolean {
    return this.ended;
  }

  dispose(): void {
    this.ended = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.ack?.dispose();
    this.resize.dispose();
    this.ws.onclose = null;
    this.ws.onmessage = null;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
  }

  private onMessage(data: ArrayBuffer | string): void {
    if (typeof data !== 'string') {
      const bytes = new Uint8Array(data);
      const ack = this.ack;
      this.term.write(bytes, ack ? () => ack.parsed(bytes.length) : undefined);
      return;
    }
    const message = parseServerControl(data);
    if (message?.type === 'ready') {
      this.sessionId = message.session;
      this.options.onState('connected');
    } else if (message?.type === 'exit') this.exit = message;
    else if (message) this.options.onControl?.(message);
  }

  private async onClose(code: number, reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.ack?.dispose();
    this.resize.dispose();
    let message: string;
    if (!this.opened) {
      // The upgrade itself failed: the browser hides the server's answer, so ask for it again over HTTP.
      message =
        (await fetchRefusal(refusalUrl(location, this.options.url))) ?? 'Cannot reach the console server';
    } else {
      message = describeEnd(code, reason, this.exit);
      // The id lets a user quote the session to an operator, whose log has the details.
      if (this.sessionId && code !== 1000) message += ` (session ${this.sessionId})`;
    }
    this.options.onState('ended', message);
  }

  private sendInput(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN && bytes.length > 0) this.ws.send(bytes);
  }

  sendControl(message: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}

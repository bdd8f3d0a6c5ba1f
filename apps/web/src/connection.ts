// One WebSocket to a console, new or resumed: our attach layer's transport (the stock attach addon has
// no flow control, no resize, no resume, and sends input as text). Input goes out as bytes in binary
// frames, control messages as JSON text frames; output comes in as bytes and control messages are
// parsed and handed up. It knows nothing of the terminal, of offsets or of reconnecting: the console
// (resumable-console.ts) decides what a close means.
import {
  parseServerControl,
  type ClientControlMessage,
  type ExitMessage,
  type ReadyMessage,
  type ServerControlMessage,
} from '@termrelay/protocol';
import type { IDisposable } from '@xterm/xterm';
import type { Size } from './resize.js';

/** How a socket went away. */
export interface ConnectionClose {
  readonly code: number;
  readonly reason: string;
  /** False when the upgrade itself failed: refused, or the server could not be reached. */
  readonly opened: boolean;
  /** The shell's exit, when the server said it just before closing. */
  readonly exit: ExitMessage | undefined;
}

export interface ConnectionHandlers {
  onReady(ready: ReadyMessage): void;
  /** Output between what was asked and what the server kept is gone: start a fresh screen. */
  onReset(): void;
  onOutput(bytes: Uint8Array): void;
  onClose(close: ConnectionClose): void;
  /** Every other server control message (sharing). */
  onControl?(message: ServerControlMessage): void;
}

/** Where the page resumes a session: its id and the token from the last `ready`. */
export interface ResumeTarget {
  readonly session: string;
  readonly resume: string;
}

function sizeParams(size: Size, flowAck: boolean): URLSearchParams {
  const params = new URLSearchParams({ cols: String(size.cols), rows: String(size.rows) });
  if (flowAck) params.set('flow', 'ack');
  return params;
}

// The same origin the page came from, with ws(s) for http(s): behind TLS this is wss.
const wsBase = (location: Location) => location.origin.replace(/^http/, 'ws');

/** The URL that opens a new console on `target`. */
export function consoleUrl(location: Location, target: string, size: Size, flowAck: boolean): string {
  const params = sizeParams(size, flowAck);
  return `${wsBase(location)}/api/targets/${encodeURIComponent(target)}/console?${params.toString()}`;
}

/** The URL that resumes `session` from output byte `offset`. */
export function resumeUrl(
  location: Location,
  at: ResumeTarget,
  offset: number,
  size: Size,
  flowAck: boolean,
): string {
  const params = new URLSearchParams({ resume: at.resume, offset: String(offset) });
  for (const [key, value] of sizeParams(size, flowAck)) params.set(key, value);
  return `${wsBase(location)}/api/sessions/${encodeURIComponent(at.session)}/console?${params.toString()}`;
}

/** The console URL over plain HTTP(S), to ask why an upgrade was refused: built from the page's origin. */
export function refusalUrl(location: Location, wsUrl: string): string {
  const url = new URL(wsUrl);
  return `${location.origin}${url.pathname}${url.search}`;
}

export class Connection implements IDisposable {
  private readonly ws: WebSocket;
  private exit: ExitMessage | undefined;
  private opened = false;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => {
      this.opened = true;
    };
    this.ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => this.onMessage(event.data);
    this.ws.onclose = (event) => {
      if (this.closed) return;
      this.closed = true;
      handlers.onClose({ code: event.code, reason: event.reason, opened: this.opened, exit: this.exit });
    };
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(bytes: Uint8Array): void {
    if (this.isOpen && bytes.length > 0) this.ws.send(bytes);
  }

  sendControl(message: ClientControlMessage): void {
    if (this.isOpen) this.ws.send(JSON.stringify(message));
  }

  /** Ends the session on purpose: the server flushes the output, then closes with 1000. */
  end(): void {
    if (this.isOpen) this.sendControl({ type: 'close' });
    else this.ws.close(1000);
  }

  /** Ends the session (a clean 1000 close) and hears nothing more from this socket. */
  dispose(): void {
    this.closed = true;
    this.ws.onclose = null;
    this.ws.onmessage = null;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
  }

  private onMessage(data: ArrayBuffer | string): void {
    if (typeof data !== 'string') {
      this.handlers.onOutput(new Uint8Array(data));
      return;
    }
    const message = parseServerControl(data);
    if (message?.type === 'ready') this.handlers.onReady(message);
    else if (message?.type === 'reset') this.handlers.onReset();
    else if (message?.type === 'exit') this.exit = message;
    else if (message) this.handlers.onControl?.(message);
  }
}

// termrelay's wire protocol, shared by the server and the browser: the close codes a console ends with,
// the control messages in text frames, and the words a person reads for each end. No Node or DOM APIs.

/** Every close code a console WebSocket can end with. */
export const CloseCode = {
  /** The remote shell exited. */
  ShellExited: 1000,
  /** The server is shutting down. */
  ServerShutdown: 1001,
  /** A text frame was not valid UTF-8. */
  InvalidText: 1007,
  /** An input frame was larger than `console.maxInputFrameBytes`. */
  FrameTooLarge: 1009,
  /** Something unexpected went wrong in the relay. */
  InternalError: 1011,
  IdleTimeout: 4001,
  MaxLifetime: 4002,
  TargetUnresponsive: 4003,
  ClientUnresponsive: 4004,
  /** Output could not be written to the client within `console.writeTimeoutMs`. */
  ClientTooSlow: 4005,
  CannotConnect: 4010,
  AuthFailed: 4011,
  HostKeyRejected: 4012,
  TargetLost: 4013,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Client → server: the terminal's size changed. cols and rows are integers from 1 to MAX_DIMENSION. */
export interface ResizeMessage {
  readonly type: 'resize';
  readonly cols: number;
  readonly rows: number;
}

/** Client → server (with `flow=ack`): `bytes` more output bytes were parsed by the terminal. */
export interface AckMessage {
  readonly type: 'ack';
  readonly bytes: number;
}

export type ClientControlMessage = ResizeMessage | AckMessage;

/** Server → client: the shell is open. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** Server → client: the remote shell ended, just before the close frame. */
export interface ExitMessage {
  readonly type: 'exit';
  readonly code: number | null;
  readonly signal: string | null;
}

export type ServerControlMessage = ReadyMessage | ExitMessage;

/** The largest cols or rows the console accepts, on the URL and in resize messages. */
export const MAX_DIMENSION = 1000;
/** The largest `bytes` one ack may carry. */
export const MAX_ACK_BYTES = 2 ** 31;

/** The JSON body of every refused HTTP request (before or instead of a WebSocket upgrade). */
export interface HttpErrorBody {
  readonly error: { readonly code: HttpErrorCode; readonly message: string };
}

export type HttpErrorCode =
  | 'origin_not_allowed'
  | 'unauthorized'
  | 'target_not_found'
  | 'bad_request'
  | 'not_found'
  | 'upgrade_required'
  | 'too_many_sessions'
  | 'shutting_down';

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSION;
}

/**
 * Parses one text frame. Returns the message, or a short reason why it is ignored: malformed, unknown or
 * out-of-range messages never throw and never reach the terminal.
 */
export function parseClientControl(text: string): ClientControlMessage | { readonly ignored: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ignored: 'malformed' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ignored: 'not-an-object' };
  const message = value as Record<string, unknown>;
  // Own properties only: a `__proto__` key in the JSON must not be mistaken for a field.
  const field = (key: string): unknown => (Object.hasOwn(message, key) ? message[key] : undefined);
  switch (field('type')) {
    case 'resize': {
      const cols = field('cols');
      const rows = field('rows');
      if (!isDimension(cols) || !isDimension(rows)) return { ignored: 'out-of-range' };
      return { type: 'resize', cols, rows };
    }
    case 'ack': {
      const bytes = field('bytes');
      if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > MAX_ACK_BYTES) {
        return { ignored: 'out-of-range' };
      }
      return { type: 'ack', bytes };
    }
    default:
      return { ignored: 'unknown-type' };
  }
}

/** Parses a server text frame in the browser; unknown messages come back as undefined. */
export function parseServerControl(text: string): ServerControlMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (value.type === 'ready') return { type: 'ready' };
    if (value.type === 'exit') {
      return {
        type: 'exit',
        code: typeof value.code === 'number' ? value.code : null,
        signal: typeof value.signal === 'string' ? value.signal : null,
      };
    }
  } catch {
    // Not ours.
  }
  return undefined;
}

/** "30 minutes", "12 hours", "5 seconds": how close reasons and the UI name a configured duration. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms >= 3_600_000 && minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  if (ms >= 60_000) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** Extra facts the words may mention: the exit, and the timeouts the server runs with. */
export interface CloseContext {
  readonly exit?: { readonly code: number | null; readonly signal: string | null };
  readonly idleTimeoutMs?: number;
  readonly maxLifetimeMs?: number;
}

/** The sentence a person reads when a console ends with `code` (and the server's `reason`). */
export function describeClose(code: number, reason = '', context: CloseContext = {}): string {
  switch (code) {
    case CloseCode.ShellExited: {
      const exit = context.exit;
      if (exit?.signal) return `Shell was killed by signal ${exit.signal}`;
      if (exit && exit.code !== null) return `Shell exited with code ${exit.code}`;
      return 'Shell exited';
    }
    case CloseCode.ServerShutdown:
      return 'The server is restarting — reconnect in a moment';
    case CloseCode.InvalidText:
      return 'Session ended: the browser sent an invalid message';
    case CloseCode.FrameTooLarge:
      return 'Session ended: input too large for one message';
    case CloseCode.InternalError:
      return 'Session ended: internal error in the relay';
    case CloseCode.IdleTimeout:
      if (context.idleTimeoutMs) return `Session ended: idle for ${formatDuration(context.idleTimeoutMs)}`;
      return `Session ended: ${reason || 'idle for too long'}`;
    case CloseCode.MaxLifetime:
      if (context.maxLifetimeMs)
        return `Session ended: reached its ${formatDuration(context.maxLifetimeMs)} limit`;
      return `Session ended: ${reason || 'reached its maximum lifetime'}`;
    case CloseCode.TargetUnresponsive:
      return 'The host stopped responding';
    case CloseCode.ClientUnresponsive:
      return 'Session ended: this browser stopped responding';
    case CloseCode.ClientTooSlow:
      return 'Session ended: this browser could not keep up with the output';
    case CloseCode.CannotConnect:
      return 'Cannot reach the host';
    case CloseCode.AuthFailed:
      return 'The host refused the login';
    case CloseCode.HostKeyRejected:
      return "Host key rejected — the server's key changed or is unknown";
    case CloseCode.TargetLost:
      return 'Connection to the host was lost';
    case 1006:
      return 'Connection to the console server was lost';
    default:
      return reason ? `Session ended: ${reason}` : `Session ended (code ${code})`;
  }
}

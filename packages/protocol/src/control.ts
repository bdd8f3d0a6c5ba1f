// Control messages: JSON in text frames, both ways. Parsing never throws: malformed, unknown or
// out-of-range messages come back as a reason to ignore them, and never reach the terminal.

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
  /** The session's id, for the user to quote to an operator (and, with resume, to reattach). */
  readonly session?: string;
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

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSION;
}

/** Own properties only: a `__proto__` key in the JSON must not be mistaken for a field. */
function fieldsOf(message: Record<string, unknown>): (key: string) => unknown {
  return (key) => (Object.hasOwn(message, key) ? message[key] : undefined);
}

/**
 * Parses one text frame. Returns the message, or a short reason why it is ignored. Callers bound the
 * frame's size before calling (parsing is the costly part).
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
  const field = fieldsOf(value as Record<string, unknown>);
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const field = fieldsOf(value as Record<string, unknown>);
  if (field('type') === 'ready') {
    const session = field('session');
    return typeof session === 'string' ? { type: 'ready', session } : { type: 'ready' };
  }
  if (field('type') === 'exit') {
    const code = field('code');
    const signal = field('signal');
    return {
      type: 'exit',
      code: typeof code === 'number' ? code : null,
      signal: typeof signal === 'string' ? signal : null,
    };
  }
  return undefined;
}

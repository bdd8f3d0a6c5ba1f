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

/** Client → server: end the session on purpose (the page's Disconnect): output is flushed, then 1000. */
export interface CloseMessage {
  readonly type: 'close';
}

/** Client → server (the owner): make a read-only watch link; the server answers with `shared`. */
export interface ShareMessage {
  readonly type: 'share';
}

/** Client → server (the owner): revoke every watch link of the session and close its watchers. */
export interface UnshareMessage {
  readonly type: 'unshare';
}

export type ClientControlMessage = ResizeMessage | AckMessage | CloseMessage | ShareMessage | UnshareMessage;

/** Server → client: the shell is open (a new session), or this connection is attached (a resume). */
export interface ReadyMessage {
  readonly type: 'ready';
  /** The session's id: URL-safe, for the resume URL and for a user to quote to an operator. */
  readonly session: string;
  /** The token for the next resume of this session; it works once and changes at every attach. */
  readonly resume: string;
  /** How many output bytes of the session come before the next binary frame of this connection. */
  readonly offset: number;
  /** How many input bytes the session has taken so far: a client re-sends what it sent beyond this. */
  readonly inputOffset: number;
}

/** Server → client: reset the terminal before the bytes that follow (output between was not kept). */
export interface ResetMessage {
  readonly type: 'reset';
}

/** Server → client: the remote shell ended, just before the close frame. */
export interface ExitMessage {
  readonly type: 'exit';
  readonly code: number | null;
  readonly signal: string | null;
}

/** Server → owner: a watch link (path and query, relative to the page's origin) and when it stops opening. */
export interface SharedMessage {
  readonly type: 'shared';
  readonly url: string;
  /** ISO 8601 UTC. Watchers already in stay until unshare or the session's end. */
  readonly expiresAt: string;
}

/** Server → owner: how many read-only watchers the session has now. */
export interface WatchersMessage {
  readonly type: 'watchers';
  readonly count: number;
}

export type ServerControlMessage =
  ReadyMessage | ExitMessage | ResetMessage | SharedMessage | WatchersMessage;

/** Server → watcher: attached read-only; the owner's terminal is this size. */
export interface WatchReadyMessage {
  readonly type: 'ready';
  readonly readonly: true;
  readonly cols: number;
  readonly rows: number;
}

/** Server → watcher: the owner's terminal changed size. */
export interface SizeMessage {
  readonly type: 'size';
  readonly cols: number;
  readonly rows: number;
}

export type WatchControlMessage = WatchReadyMessage | SizeMessage | ResetMessage | ExitMessage;

/** The largest cols or rows the console accepts, on the URL and in resize messages. */
export const MAX_DIMENSION = 1000;
/** The largest `bytes` one ack may carry. */
export const MAX_ACK_BYTES = 2 ** 31;

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSION;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

type Fields = (key: string) => unknown;

/**
 * A text frame's JSON object as a field reader, or why it is not one. Own properties only: a `__proto__`
 * key in the JSON must not be mistaken for a field.
 */
function fieldsOf(text: string): Fields | 'malformed' | 'not-an-object' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'malformed';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not-an-object';
  const message = value as Record<string, unknown>;
  return (key) => (Object.hasOwn(message, key) ? message[key] : undefined);
}

/**
 * Parses one text frame. Returns the message, or a short reason why it is ignored. Callers bound the
 * frame's size before calling (parsing is the costly part).
 */
export function parseClientControl(text: string): ClientControlMessage | { readonly ignored: string } {
  const field = fieldsOf(text);
  if (typeof field === 'string') return { ignored: field };
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
    case 'close':
      return { type: 'close' };
    case 'share':
      return { type: 'share' };
    case 'unshare':
      return { type: 'unshare' };
    default:
      return { ignored: 'unknown-type' };
  }
}

/** Parses a server text frame in the browser; unknown messages come back as undefined. */
export function parseServerControl(text: string): ServerControlMessage | undefined {
  const field = fieldsOf(text);
  if (typeof field === 'string') return undefined;
  const type = field('type');
  if (type === 'ready') {
    const session = field('session');
    const resume = field('resume');
    const offset = field('offset');
    const inputOffset = field('inputOffset');
    if (
      typeof session !== 'string' ||
      typeof resume !== 'string' ||
      !isOffset(offset) ||
      !isOffset(inputOffset)
    )
      return undefined;
    return { type: 'ready', session, resume, offset, inputOffset };
  }
  if (type === 'reset') return { type: 'reset' };
  if (type === 'exit') return exitOf(field);
  if (type === 'shared') {
    const url = field('url');
    const expiresAt = field('expiresAt');
    if (typeof url !== 'string' || typeof expiresAt !== 'string') return undefined;
    return { type: 'shared', url, expiresAt };
  }
  if (type === 'watchers') {
    const count = field('count');
    return isOffset(count) ? { type: 'watchers', count } : undefined;
  }
  return undefined;
}

/** Parses a server text frame on a watch connection; unknown messages come back as undefined. */
export function parseWatchControl(text: string): WatchControlMessage | undefined {
  const field = fieldsOf(text);
  if (typeof field === 'string') return undefined;
  const type = field('type');
  if (type === 'ready' || type === 'size') {
    const cols = field('cols');
    const rows = field('rows');
    if (!isDimension(cols) || !isDimension(rows)) return undefined;
    if (type === 'size') return { type, cols, rows };
    return field('readonly') === true ? { type, readonly: true, cols, rows } : undefined;
  }
  if (type === 'reset') return { type: 'reset' };
  if (type === 'exit') return exitOf(field);
  return undefined;
}

function exitOf(field: Fields): ExitMessage {
  const code = field('code');
  const signal = field('signal');
  return {
    type: 'exit',
    code: typeof code === 'number' ? code : null,
    signal: typeof signal === 'string' ? signal : null,
  };
}

// How a console ends: the one table of end causes, the WebSocket close code each is sent with, and the
// words a person reads. The server closes with these codes and words, the page shows them, and the docs
// link here. Words never carry hosts, users, paths or errnos: those stay in the server's log.

/** One way a console can end. `code` is null for ends that no client is there to see. */
export interface EndEntry {
  readonly cause: EndCauseName;
  readonly code: number | null;
  readonly words: string;
}

/** Every end cause, in close-code order. The single source for close codes, causes and their words. */
export const ENDS = [
  { cause: 'exit', code: 1000, words: 'The shell exited' },
  { cause: 'closed', code: 1000, words: 'The console was closed' },
  { cause: 'server-shutdown', code: 1001, words: 'The server is restarting — reconnect in a moment' },
  { cause: 'invalid-text', code: 1007, words: 'The browser sent an invalid message' },
  { cause: 'policy-violation', code: 1008, words: 'The browser broke the console protocol' },
  { cause: 'frame-too-large', code: 1009, words: 'The browser sent a message that is too large' },
  { cause: 'error', code: 1011, words: 'Internal error in the relay' },
  { cause: 'idle-timeout', code: 4001, words: 'The session was idle for too long' },
  { cause: 'max-lifetime', code: 4002, words: 'The session reached its time limit' },
  { cause: 'target-unresponsive', code: 4003, words: 'The host stopped responding' },
  { cause: 'client-unresponsive', code: 4004, words: 'This browser stopped responding' },
  { cause: 'client-too-slow', code: 4005, words: 'This browser could not keep up with the output' },
  { cause: 'connect-failed', code: 4010, words: 'Cannot reach the host' },
  { cause: 'auth-failed', code: 4011, words: 'The host refused the login' },
  { cause: 'host-key-rejected', code: 4012, words: "The host's key was rejected: it changed or is unknown" },
  { cause: 'target-closed', code: 4013, words: 'The connection to the host was lost' },
  {
    cause: 'credentials-unavailable',
    code: 4014,
    words: "The relay's key for this host could not be read — tell the operator",
  },
  { cause: 'taken-over', code: 4020, words: 'The console was opened elsewhere' },
  {
    cause: 'recording-failed',
    code: 4030,
    words: 'The session could not be recorded, and recording is required',
  },
  { cause: 'detached-timeout', code: null, words: 'Nobody reconnected to the session in time' },
] as const satisfies readonly { cause: string; code: number | null; words: string }[];

export type EndCauseName = (typeof ENDS)[number]['cause'];

/** Close codes by name, for code that sends or tests them. */
export const CloseCode = {
  ShellExited: 1000,
  ServerShutdown: 1001,
  InvalidText: 1007,
  PolicyViolation: 1008,
  FrameTooLarge: 1009,
  InternalError: 1011,
  IdleTimeout: 4001,
  MaxLifetime: 4002,
  TargetUnresponsive: 4003,
  ClientUnresponsive: 4004,
  ClientTooSlow: 4005,
  CannotConnect: 4010,
  AuthFailed: 4011,
  HostKeyRejected: 4012,
  TargetLost: 4013,
  CredentialsUnavailable: 4014,
  TakenOver: 4020,
  RecordingFailed: 4030,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

const BY_CAUSE = new Map<string, EndEntry>(ENDS.map((e) => [e.cause, e]));

/** The table's entry for a cause. */
export function endEntry(cause: EndCauseName): EndEntry {
  return BY_CAUSE.get(cause) as EndEntry;
}

/** "30 minutes", "12 hours", "5 seconds": how close reasons and the UI name a configured duration. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms >= 3_600_000 && minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  if (ms >= 60_000) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** Facts the words may name: the exit status, and the limits the server runs with. */
export interface EndContext {
  readonly exit?: { readonly code: number | null; readonly signal: string | null };
  readonly idleTimeoutMs?: number;
  readonly maxLifetimeMs?: number;
}

/** The words for a cause, completed with what the context knows. Also what the server sends as the close reason. */
export function wordsFor(cause: EndCauseName, context: EndContext = {}): string {
  const exit = context.exit;
  if (cause === 'exit' && exit) {
    if (exit.signal) return `The shell was killed by signal ${exit.signal}`;
    if (exit.code !== null) return `The shell exited with code ${exit.code}`;
  }
  if (cause === 'idle-timeout' && context.idleTimeoutMs)
    return `The session was idle for ${formatDuration(context.idleTimeoutMs)}`;
  if (cause === 'max-lifetime' && context.maxLifetimeMs)
    return `The session reached its ${formatDuration(context.maxLifetimeMs)} limit`;
  return endEntry(cause).words;
}

const BY_CODE = new Map<number, EndEntry>();
for (const entry of ENDS) if (entry.code !== null && !BY_CODE.has(entry.code)) BY_CODE.set(entry.code, entry);

/**
 * The sentence a person reads when a console closes with `code`. The server's reason is the table's words
 * (possibly completed with a duration), so it is shown as is when it is one of ours; anything else falls
 * back to the table.
 */
export function describeClose(code: number, reason = '', context: EndContext = {}): string {
  if (code === 1000 && context.exit) return wordsFor('exit', context);
  if (code === 1006) return 'The connection to the console server was lost';
  const entry = BY_CODE.get(code);
  if (!entry) return reason ? `Session ended: ${reason}` : `Session ended (code ${code})`;
  if (reason && (code === CloseCode.IdleTimeout || code === CloseCode.MaxLifetime || code === 1000))
    return reason;
  return wordsFor(entry.cause, context);
}

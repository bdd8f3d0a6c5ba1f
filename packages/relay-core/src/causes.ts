// Why a session ended: one coded cause, set exactly once. This file is the single list of relay-level
// causes, each with a short technical default message for logs. What a person reads, and the close code
// a transport sends, belong to the transport (termrelay's are in @termrelay/protocol's table of ends).

export const END_CAUSE_KINDS = [
  'exit',
  'target-closed',
  'client-closed',
  'idle-timeout',
  'max-lifetime',
  'client-unresponsive',
  'target-unresponsive',
  'connect-failed',
  'auth-failed',
  'credentials-unavailable',
  'host-key-rejected',
  'detached-timeout',
  'aborted',
  'error',
] as const;

export type EndCauseKind = (typeof END_CAUSE_KINDS)[number];

export interface EndCause {
  readonly kind: EndCauseKind;
  /** For `exit`: the shell's exit status, or null when it was killed by a signal. */
  readonly exitCode?: number | null;
  /** For `exit`: the signal name without `SIG` (`'KILL'`), or null. */
  readonly exitSignal?: string | null;
  /** A short sentence for logs (may name hosts, users and paths); never contains credentials. */
  readonly message: string;
  /** The underlying error, kept for logs. */
  readonly error?: Error;
}

const WORDS: Record<EndCauseKind, string> = {
  exit: 'The shell exited',
  'target-closed': 'The connection to the target was lost',
  'client-closed': 'The client went away',
  'idle-timeout': 'The session was idle for too long',
  'max-lifetime': 'The session reached its maximum lifetime',
  'client-unresponsive': 'The client stopped answering',
  'target-unresponsive': 'The target stopped answering',
  'connect-failed': 'Cannot connect to the target',
  'auth-failed': 'The target refused authentication',
  'credentials-unavailable': 'The credentials for the target could not be obtained',
  'host-key-rejected': "The target's host key was rejected",
  'detached-timeout': 'No client came back within the resume grace',
  aborted: 'The session was stopped',
  error: 'Internal error',
};

/** The default log message for a cause kind. */
export function describeCause(kind: EndCauseKind): string {
  return WORDS[kind];
}

export function exitMessage(code: number | null, signal: string | null): string {
  if (signal) return `The shell was killed by signal ${signal}`;
  return `The shell exited with code ${code ?? 'unknown'}`;
}

/** An error that already knows which end cause it stands for. */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly kind: EndCauseKind,
    message: string = describeCause(kind),
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRelayError(error: unknown): error is RelayError {
  return error instanceof RelayError;
}

/** Turns anything thrown during a session into a cause; unknown errors become `error`. */
export function causeFromError(error: unknown): EndCause {
  if (isRelayError(error)) return { kind: error.kind, message: error.message, error };
  const err = error instanceof Error ? error : new Error(String(error));
  return { kind: 'error', message: describeCause('error'), error: err };
}

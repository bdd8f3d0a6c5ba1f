// From a session's end to the close frame the client gets. Codes and words come from the one table in
// @termrelay/protocol; this file only says which of its causes a relay-core cause is. The words never
// carry the relay's details (hosts, users, paths, errnos): those go to the server log.
import { endEntry, wordsFor, type EndCauseName, type EndContext } from '@termrelay/protocol';
import type { EndCause, EndCauseKind } from '@termrelay/relay-core';

/** Causes that only the transport sees; relay-core reports these sessions as aborted. */
export type TransportCause =
  | 'client-too-slow'
  | 'client-unresponsive'
  | 'invalid-text'
  | 'policy-violation'
  | 'frame-too-large'
  | 'server-shutdown'
  | 'taken-over'
  | 'recording-failed'
  | 'closed';

const FROM_RELAY: Record<EndCauseKind, EndCauseName> = {
  exit: 'exit',
  'target-closed': 'target-closed',
  'client-closed': 'closed',
  'idle-timeout': 'idle-timeout',
  'max-lifetime': 'max-lifetime',
  'client-unresponsive': 'client-unresponsive',
  'target-unresponsive': 'target-unresponsive',
  'connect-failed': 'connect-failed',
  'auth-failed': 'auth-failed',
  'credentials-unavailable': 'credentials-unavailable',
  'host-key-rejected': 'host-key-rejected',
  'detached-timeout': 'detached-timeout',
  aborted: 'server-shutdown',
  error: 'error',
};

/** The table's cause for how a session ended: the transport's own cause wins over relay-core's. */
export function endCauseName(cause: EndCause, transport?: TransportCause): EndCauseName {
  return transport ?? FROM_RELAY[cause.kind];
}

export interface SessionLimits {
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

/** The close code and reason for an end: the table's words, completed with the configured limits. */
export function closeFor(
  name: EndCauseName,
  limits?: SessionLimits,
  cause?: EndCause,
): { code: number; reason: string } {
  const context: EndContext = {
    ...(limits ? { idleTimeoutMs: limits.idleTimeoutMs, maxLifetimeMs: limits.maxLifetimeMs } : {}),
    ...(cause?.kind === 'exit'
      ? { exit: { code: cause.exitCode ?? null, signal: cause.exitSignal ?? null } }
      : {}),
  };
  return { code: endEntry(name).code ?? 1000, reason: fitReason(wordsFor(name, context)) };
}

/** A close reason must fit in 123 bytes of UTF-8; cut on a character boundary. */
export function fitReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.length <= 123) return reason;
  let end = 120;
  // Step back over UTF-8 continuation bytes so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + '...';
}

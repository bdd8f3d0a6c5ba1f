// From a session's end cause to the WebSocket close code and reason the browser gets. The codes
// themselves are defined once, in @termrelay/protocol; this file only maps relay-core's causes onto them.
import { CloseCode, formatDuration } from '@termrelay/protocol';
import type { EndCause, EndCauseKind } from '@termrelay/relay-core';

/** Causes that only the WebSocket adapter can see; relay-core reports these sessions as aborted or closed. */
export type TransportCause = 'client-too-slow' | 'invalid-text' | 'frame-too-large' | 'server-shutdown';

const CODE_FOR_CAUSE: Record<EndCauseKind, number> = {
  exit: CloseCode.ShellExited,
  'target-closed': CloseCode.TargetLost,
  'client-closed': CloseCode.ShellExited,
  'idle-timeout': CloseCode.IdleTimeout,
  'max-lifetime': CloseCode.MaxLifetime,
  'client-unresponsive': CloseCode.ClientUnresponsive,
  'target-unresponsive': CloseCode.TargetUnresponsive,
  'connect-failed': CloseCode.CannotConnect,
  'auth-failed': CloseCode.AuthFailed,
  'host-key-rejected': CloseCode.HostKeyRejected,
  aborted: CloseCode.ServerShutdown,
  error: CloseCode.InternalError,
};

export const TRANSPORT_CLOSE: Record<TransportCause, { code: number; reason: string }> = {
  'client-too-slow': { code: CloseCode.ClientTooSlow, reason: 'client too slow: output not written in time' },
  'invalid-text': { code: CloseCode.InvalidText, reason: 'invalid UTF-8 in a text frame' },
  'frame-too-large': { code: CloseCode.FrameTooLarge, reason: 'input frame too large' },
  'server-shutdown': { code: CloseCode.ServerShutdown, reason: 'server shutting down' },
};

/** A close reason must fit in 123 bytes of UTF-8; cut on a character boundary. */
export function fitReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.length <= 123) return reason;
  let end = 120;
  // Step back over UTF-8 continuation bytes so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + '...';
}

export interface SessionLimits {
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

export function closeForCause(cause: EndCause, limits?: SessionLimits): { code: number; reason: string } {
  const code = CODE_FOR_CAUSE[cause.kind];
  // The browser shows these reasons: name the configured limit rather than a generic sentence.
  if (cause.kind === 'idle-timeout' && limits)
    return { code, reason: `idle for ${formatDuration(limits.idleTimeoutMs)}` };
  if (cause.kind === 'max-lifetime' && limits) {
    return { code, reason: `reached its ${formatDuration(limits.maxLifetimeMs)} limit` };
  }
  // Causes carry only safe words: relay-core never puts credentials in a message.
  return { code, reason: fitReason(cause.message) };
}

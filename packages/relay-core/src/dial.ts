// Dialing: how the bytes of an SSH connection reach the target. A Dialer opens a byte stream and honours
// an AbortSignal; the session bounds it with its connect timeout. Direct TCP lives here; a jump host is
// in jump.ts; other ways (a namespace proxy, an in-memory server) only need to fill in the same type.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RelayError } from './causes.js';

export interface DialedConnection {
  /** The byte stream the SSH client runs over. */
  readonly socket: Duplex;
  /** Releases whatever the dial holds beyond the socket (a jump connection). Idempotent. */
  close(): void;
}

/** Opens a stream to the target. Must reject promptly once `signal` aborts, leaving nothing open. */
export type Dialer = (signal: AbortSignal) => Promise<DialedConnection>;

export interface TcpDialOptions {
  readonly host: string;
  /** The default is 22. */
  readonly port?: number;
}

export function tcpDialer(options: TcpDialOptions): Dialer {
  const port = options.port ?? 22;
  return (signal) =>
    new Promise<DialedConnection>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      const socket: Socket = connect({ host: options.host, port });
      const onAbort = () => {
        socket.destroy();
        reject(abortError(signal));
      };
      const onError = (error: Error) => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(
          new RelayError('connect-failed', `cannot connect to ${options.host}:${port}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        // Keystrokes are tiny writes: Nagle would hold each one back for an ACK.
        socket.setNoDelay(true);
        resolve({ socket, close: () => socket.destroy() });
      });
    });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RelayError('aborted');
}

/**
 * Runs `dialer` with a deadline: when `timeoutMs` passes first, the dial is aborted and rejects with
 * `connect-failed`. A connection that arrives after the deadline is closed, never leaked.
 */
export function closeDialed(dialed: DialedConnection): void {
  dialed.close();
  dialed.socket.destroy();
}

export async function dialWithTimeout(
  dialer: Dialer,
  signal: AbortSignal,
  timeoutMs: number,
  what = 'the target',
): Promise<DialedConnection> {
  const controller = new AbortController();
  const timeoutError = new RelayError(
    'connect-failed',
    `connecting to ${what} timed out after ${timeoutMs} ms`,
  );
  const timer = setTimeout(() => controller.abort(timeoutError), timeoutMs);
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const pending = dialer(controller.signal);
  try {
    return await Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        // A dialer that ignores its signal must still not outlive the deadline.
        if (controller.signal.aborted) reject(abortError(controller.signal));
        controller.signal.addEventListener('abort', () => reject(abortError(controller.signal)), {
          once: true,
        });
      }),
    ]);
  } catch (error) {
    // Whatever the dialer still delivers after the deadline is closed, never leaked.
    pending.then(closeDialed, () => {});
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

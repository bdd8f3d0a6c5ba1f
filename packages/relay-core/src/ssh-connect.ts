// The SSH handshake over an already dialed stream: host-key verification, authentication, and a deadline
// over both. Used for the target and for a jump host alike. Every failure comes out as a RelayError with
// the cause it stands for.
import type { Duplex } from 'node:stream';
// ssh2 is CommonJS: Node detects only some of its named exports, so take the whole module.
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import { RelayError } from './causes.js';
import type { Credentials } from './credentials.js';
import { createHostKeyVerifier, type HostKeyPolicy } from './host-key.js';

export interface SshConnectOptions {
  readonly socket: Duplex;
  /** The host and port the key is checked for (known_hosts names them). */
  readonly host: string;
  readonly port: number;
  readonly hostKey: HostKeyPolicy;
  readonly credentials: Credentials;
  /** Handshake plus authentication must finish within this. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** Resolves with an authenticated client. The client always has an 'error' listener attached. */
export async function sshConnect(options: SshConnectOptions): Promise<Client> {
  const { host, port, credentials, signal } = options;
  const verifier = await createHostKeyVerifier(options.hostKey, host, port);
  const client = new ssh2.Client();
  // An unhandled 'error' would take down the process and every other session: there is always a listener.
  client.on('error', () => {});

  return await new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (error: RelayError) => {
      if (settled) return;
      settled = true;
      cleanup();
      client.end();
      options.socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new RelayError('connect-failed', `SSH handshake with ${host}:${port} timed out`)),
      options.timeoutMs,
    );
    const onAbort = () => {
      const reason: unknown = signal.reason;
      fail(reason instanceof RelayError ? reason : new RelayError('aborted'));
    };
    const onError = (error: Error & { level?: string }) => {
      if (verifier.rejection !== undefined) {
        fail(new RelayError('host-key-rejected', verifier.rejection, { cause: error }));
      } else if (error.level === 'client-authentication') {
        fail(
          new RelayError('auth-failed', `${host}:${port} refused authentication for ${credentials.username}`),
        );
      } else {
        fail(new RelayError('connect-failed', `SSH handshake with ${host}:${port} failed: ${error.message}`));
      }
    };
    const onClose = () =>
      onError(
        new Error(
          verifier.rejection !== undefined ? 'host key rejected' : 'connection closed during the handshake',
        ),
      );
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      client.removeListener('ready', onReady);
    };
    const onReady = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(client);
    };

    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', onError);
    client.once('close', onClose);
    client.once('ready', onReady);

    const config: ConnectConfig = {
      sock: options.socket,
      host,
      port,
      username: credentials.username,
      // Our own timer covers the handshake; ssh2's would start before we attached the socket.
      readyTimeout: 0,
      hostVerifier: (key: Buffer) => verifier.verify(key),
      tryKeyboard: false,
      keepaliveInterval: 0,
    };
    if (credentials.privateKey !== undefined) config.privateKey = credentials.privateKey;
    if (credentials.passphrase !== undefined) config.passphrase = credentials.passphrase;
    if (credentials.password !== undefined) config.password = credentials.password;
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 throws synchronously for a malformed private key.
      fail(
        new RelayError('credentials-unavailable', `cannot use the private key: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  });
}

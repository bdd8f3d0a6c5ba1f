// ProxyJump: reach the target through an SSH connection to a bastion, which opens a direct-tcpip channel
// to the target; that channel is the stream the target's SSH client runs over. The bastion's own host key
// and credentials are checked the same way as the target's.
import type { Client, ClientChannel } from 'ssh2';
import { RelayError } from './causes.js';
import { releaser, type CredentialProvider } from './credentials.js';
import { closeDialed, tcpDialer, type DialedConnection, type Dialer } from './dial.js';
import type { HostKeyPolicy } from './host-key.js';
import { sshConnect } from './ssh-connect.js';

export interface JumpHost {
  readonly host: string;
  /** The default is 22. */
  readonly port?: number;
  readonly hostKey: HostKeyPolicy;
  readonly credentials: CredentialProvider;
  /** How the bastion itself is reached. The default is direct TCP to host:port. */
  readonly dialer?: Dialer;
}

export interface JumpDialOptions {
  readonly jump: JumpHost;
  /** The target as the bastion sees it. */
  readonly host: string;
  /** The default is 22. */
  readonly port?: number;
  /** The bastion's handshake deadline. The default is 15000 ms. */
  readonly handshakeTimeoutMs?: number;
}

export function jumpDialer(options: JumpDialOptions): Dialer {
  const { jump } = options;
  const jumpPort = jump.port ?? 22;
  const targetPort = options.port ?? 22;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 15_000;
  const dialBastion = jump.dialer ?? tcpDialer({ host: jump.host, port: jumpPort });

  return async (signal) => {
    const release = releaser(jump.credentials);
    let bastion: DialedConnection | undefined;
    let client: Client | undefined;
    try {
      const credentials = await jump.credentials.acquire(signal);
      bastion = await dialBastion(signal);
      client = await sshConnect({
        socket: bastion.socket,
        host: jump.host,
        port: jumpPort,
        hostKey: jump.hostKey,
        credentials,
        timeoutMs: handshakeTimeoutMs,
        signal,
      });
      const channel = await forwardOut(client, options.host, targetPort, signal);
      const owned = { client, bastion };
      return {
        socket: channel,
        close() {
          channel.destroy();
          owned.client.end();
          closeDialed(owned.bastion);
          release();
        },
      };
    } catch (error) {
      client?.end();
      if (bastion) closeDialed(bastion);
      release();
      if (error instanceof RelayError) {
        throw new RelayError(error.kind, `jump host ${jump.host}:${jumpPort}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  };
}

function forwardOut(client: Client, host: string, port: number, signal: AbortSignal): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new RelayError('aborted'));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
      signal.removeEventListener('abort', onAbort);
      if (error) {
        reject(
          new RelayError('connect-failed', `cannot open a channel to ${host}:${port}: ${error.message}`, {
            cause: error,
          }),
        );
        return;
      }
      if (signal.aborted) {
        channel.destroy();
        return;
      }
      resolve(channel);
    });
  });
}

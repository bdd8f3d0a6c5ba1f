// termrelay's zero-setup target: an SSH server living inside the relay's own process (ssh2's Server), with
// shells under real PTYs, reached through an in-memory duplex pair — no TCP port is opened, so nothing else
// on the machine or network can reach it. Its host key and the one client key it accepts are generated in
// memory at start and pinned automatically. The relay treats it as any other target: the dialer is the
// only difference.
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { homedir } from 'node:os';
// ssh2 is CommonJS: Node detects only some of its named exports, so take the whole module.
import ssh2, { type Connection, type ParsedKey } from 'ssh2';
import { duplexPair, fingerprintOf, type Dialer, type Target } from '@termrelay/relay-core';
import { serveShellSession, type ShellOptions } from './shell-session.js';

export interface LocalTargetOptions {
  /** The shell to run. The default is $SHELL, else /bin/bash, else /bin/sh. */
  readonly shell?: string;
  /** Its arguments. The default is ['-l'] (a login shell, as sshd starts). */
  readonly args?: readonly string[];
  /** Its working directory. The default is the home directory of the user running termrelay. */
  readonly cwd?: string;
  /** Extra environment for every shell. The default is none. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LocalTarget {
  /** What relay-core dials: pinned host key, in-memory dialer, the generated client key. */
  readonly target: Target;
  /** The host key's fingerprint, `SHA256:...`. */
  readonly hostKeyFingerprint: string;
  /** Shells open now. */
  readonly connections: number;
  /** Stops accepting and ends every connection. Idempotent. */
  close(): void;
}

const { Server, utils } = ssh2;

function parse(key: string): ParsedKey {
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
}

export function defaultShell(): string {
  const fromEnv = process.env.SHELL;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

export function createLocalTarget(options: LocalTargetOptions = {}): LocalTarget {
  const hostKeys = utils.generateKeyPairSync('ed25519');
  const clientKeys = utils.generateKeyPairSync('ed25519');
  const clientPublic = parse(clientKeys.public);
  const clientBlob = clientPublic.getPublicSSH();
  const hostKeyFingerprint = fingerprintOf(parse(hostKeys.public).getPublicSSH());
  const shell: ShellOptions = {
    shell: options.shell ?? defaultShell(),
    args: options.args ?? ['-l'],
    cwd: options.cwd ?? homedir(),
    env: options.env ?? {},
  };
  const username = process.env.USER ?? 'termrelay';
  const live = new Set<Connection>();
  let closed = false;

  const server = new Server({ hostKeys: [hostKeys.private], ident: 'termrelay-local' }, (client) => {
    live.add(client);
    client.on('close', () => live.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      // Only the key generated above, and only with a valid signature.
      if (
        ctx.method === 'publickey' &&
        ctx.key.algo === clientPublic.type &&
        ctx.key.data.length === clientBlob.length &&
        timingSafeEqual(ctx.key.data, clientBlob)
      ) {
        if (!ctx.signature || !ctx.blob) return ctx.accept();
        return clientPublic.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true
          ? ctx.accept()
          : ctx.reject();
      }
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => serveShellSession(accept(), shell));
    });
  });
  server.on('error', () => {});

  const dialer: Dialer = (signal) => {
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    if (closed) return Promise.reject(new Error('the local target is closed'));
    const [relaySide, serverSide] = duplexPair();
    serverSide.on('error', () => {});
    server.injectSocket(serverSide as unknown as Socket);
    return Promise.resolve({ socket: relaySide, close: () => relaySide.destroy() });
  };

  return {
    target: {
      host: 'local',
      port: 22,
      hostKey: { fingerprints: [hostKeyFingerprint] },
      credentials: {
        acquire: () => Promise.resolve({ username, privateKey: clientKeys.private }),
        release: () => {},
      },
      dialer,
    },
    hostKeyFingerprint,
    get connections() {
      return live.size;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const client of live) client.end();
      live.clear();
    },
  };
}

// Starts a real OpenSSH sshd for tests and benchmarks: its own config, host key, client key and
// authorized_keys in a temp folder, listening on 127.0.0.1 on a free port, killed by PID. It never
// touches the machine's own sshd configuration and never listens beyond loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestUser, type TestUser } from './test-user.js';
import { execText } from './exec.js';

export const SSHD_PATH = '/usr/sbin/sshd';

export interface StartSshdOptions {
  /** Extra sshd_config lines; they take precedence over ours. The default is none. */
  readonly extraConfig?: readonly string[];
  /** Also allow password login, with a random password set on the test user (root only). The default is false. */
  readonly password?: boolean;
  /** How long to wait for sshd to listen. The default is 10000 ms. */
  readonly startTimeoutMs?: number;
}

export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number;
  readonly username: string;
  readonly homeDir: string;
  /** The client's private key (OpenSSH format, no passphrase). */
  readonly clientPrivateKey: Buffer;
  readonly clientPrivateKeyPath: string;
  /** The host key's fingerprint as `ssh-keygen -l` prints it: `SHA256:...`. */
  readonly hostKeyFingerprint: string;
  /** A known_hosts file that names this sshd's host key for `[127.0.0.1]:port`. */
  readonly knownHostsPath: string;
  /** The test user's password when started with `password: true`. */
  readonly password: string | undefined;
  readonly dir: string;
  /** The sshd's stderr so far (it runs with -e). */
  log(): string;
  /** Arguments for the OpenSSH client to log in here with the host key checked (add a command). */
  sshArgs(): string[];
  /** Kills sshd and every session it serves, then removes its folder. Idempotent. */
  stop(): Promise<void>;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function keygen(path: string, comment: string): Promise<void> {
  await execText('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

async function fingerprint(publicKeyPath: string): Promise<string> {
  const out = await execText('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  const match = /SHA256:[A-Za-z0-9+/]+/.exec(out);
  if (!match) throw new Error(`ssh-keygen printed no SHA256 fingerprint: ${out}`);
  return match[0];
}

function sshdConfig(dir: string, port: number, user: TestUser, password: boolean, extra: readonly string[]) {
  // sshd keeps the first value it reads for a keyword, so the caller's lines come first to win.
  return [
    ...extra,
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    `PasswordAuthentication ${password ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    `AllowUsers ${user.name}`,
    'PermitRootLogin prohibit-password',
    // The default 10:30:100 drops concurrent handshakes at random under load tests.
    'MaxStartups 500',
    'MaxSessions 100',
    'AllowTcpForwarding yes',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel INFO',
    'AcceptEnv LANG LC_*',
    '',
  ].join('\n');
}

export async function startSshd(options: StartSshdOptions = {}): Promise<TestSshd> {
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  if (isRoot()) await mkdir('/run/sshd', { recursive: true });
  const user = await ensureTestUser();
  const dir = await mkdtemp(join(tmpdir(), 'termrelay-sshd-'));
  // sshd reads authorized_keys as the logged-in user, so the folder must be readable by it.
  await chmod(dir, 0o755);
  await keygen(join(dir, 'host_ed25519'), 'termrelay-test-host');
  await keygen(join(dir, 'client_ed25519'), 'termrelay-test-client');
  const clientPublic = await readFile(join(dir, 'client_ed25519.pub'), 'utf8');
  await writeFile(join(dir, 'authorized_keys'), clientPublic, { mode: 0o644 });
  const hostPublic = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim().split(/\s+/);
  const hostKeyFingerprint = await fingerprint(join(dir, 'host_ed25519.pub'));

  let password: string | undefined;
  if (options.password) {
    if (!isRoot()) throw new Error('startSshd({password: true}) needs root to set the test user password');
    password = randomBytes(12).toString('base64url');
    await execText('chpasswd', [], `${user.name}:${password}\n`);
  }

  const port = await freePort();
  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublic[0]} ${hostPublic[1]}\n`);
  const configPath = join(dir, 'sshd_config');
  await writeFile(
    configPath,
    sshdConfig(dir, port, user, options.password ?? false, options.extraConfig ?? []),
  );

  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Bounded: a long-running bench sshd must not grow the test process without limit.
    log = (log + chunk).slice(-256 * 1024);
  });
  await waitListening(child, () => log, startTimeoutMs);

  let stopped: Promise<void> | undefined;
  const clientPrivateKeyPath = join(dir, 'client_ed25519');
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid ?? 0,
    username: user.name,
    homeDir: user.home,
    clientPrivateKey: await readFile(clientPrivateKeyPath),
    clientPrivateKeyPath,
    hostKeyFingerprint,
    knownHostsPath,
    password,
    dir,
    log: () => log,
    sshArgs: () => [
      '-i',
      clientPrivateKeyPath,
      '-o',
      `UserKnownHostsFile=${knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-p',
      String(port),
      `${user.name}@127.0.0.1`,
    ],
    stop: () => (stopped ??= stopSshd(child, dir)),
  };
}

async function waitListening(child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sshd did not listen within ${timeoutMs} ms:\n${log()}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (/Server listening on/.test(log())) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 20);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`sshd exited at start (code ${code}, signal ${signal}):\n${log()}`));
    });
  });
}

async function stopSshd(child: ChildProcess, dir: string): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    // Kill the sessions first: killing only the listener leaves per-connection processes behind.
    for (const pid of await descendants(child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}

/** Every live descendant of `pid`, deepest last, read from /proc. */
export async function descendants(pid: number): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: the ppid follows the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // The process ended while we read.
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const child of parents.get(next) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

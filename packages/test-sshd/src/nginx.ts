// Starts a real nginx for tests: a generated top-level nginx.conf in a temp folder (its own prefix, pid
// file, error log and temp dirs there), in the foreground as a child of the test, killed by PID. The
// caller gives what goes inside `http { }` and must make it listen on 127.0.0.1 only. It never reads
// or writes the machine's own nginx configuration, and never starts a system-wide nginx.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants } from './sshd.js';

export const NGINX_PATH = '/usr/sbin/nginx';

export interface StartNginxOptions {
  /** The text inside `http { }` (typically an `include` of the file under test). */
  readonly http: string;
  /** The port it listens on, on 127.0.0.1: start-up waits for it. */
  readonly port: number;
  /** How long to wait for nginx to listen. The default is 10000 ms. */
  readonly startTimeoutMs?: number;
}

export interface TestNginx {
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  /** The error log so far. */
  log(): Promise<string>;
  /** Stops the master and its workers (SIGTERM, then SIGKILL by PID) and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

function topLevelConfig(dir: string, http: string): string {
  return [
    // Two workers, as on a production machine: balancing state must be shared between them.
    'worker_processes 2;',
    'daemon off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (kind) => `  ${kind}_temp_path ${join(dir, `${kind}_temp`)};`,
    ),
    http,
    '}',
    '',
  ].join('\n');
}

export async function startNginx(options: StartNginxOptions): Promise<TestNginx> {
  // Something else answering there would look like our nginx listening.
  if (await accepts(options.port))
    throw new Error(`nginx cannot start: 127.0.0.1:${options.port} is already in use`);
  const dir = await mkdtemp(join(tmpdir(), 'termrelay-nginx-'));
  // Started as root, nginx's workers run as `nobody` and must reach their temp dirs in here.
  await chmod(dir, 0o755);
  const configPath = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  await writeFile(configPath, topLevelConfig(dir, options.http));
  const child = spawn(NGINX_PATH, ['-p', dir, '-c', configPath, '-e', errorLog], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)));
  const log = async () => stderr + (await readFile(errorLog, 'utf8').catch(() => ''));
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopNginx(child, dir));
  try {
    await waitListening(child, options.port, options.startTimeoutMs ?? 10_000);
  } catch (error) {
    const text = await log();
    await stop();
    throw new Error(`nginx did not start: ${(error as Error).message}\n${text}`, { cause: error });
  }
  return { pid: child.pid ?? 0, port: options.port, dir, log, stop };
}

async function waitListening(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`it exited (code ${child.exitCode}, signal ${child.signalCode})`);
    if (await accepts(port)) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`not listening on 127.0.0.1:${port} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopNginx(child: ChildProcess, dir: string): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const workers = await descendants(child.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    // A master killed hard leaves its workers: end them by the PIDs read before.
    for (const pid of workers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
}

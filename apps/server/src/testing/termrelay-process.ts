// Starts the termrelay server built from this repository as its own process, with a given config, on a
// free loopback port, and waits until it listens: what e2e, the reliability suite and the bench need to
// signal the server or measure it from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@termrelay/test-sshd';

/** The built server's entry point in this repository. */
export const TERMRELAY_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface TermrelayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:PORT`: the page's origin, allowed in publicOrigins unless the config sets them. */
  readonly origin: string;
  /** `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string;
  /** The URL the server printed to open (with `?token=` when it made one up). */
  readonly printedUrl: string;
  /** Everything the process printed so far. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** SIGKILLs it and removes its config folder. */
  stop(): void;
}

/**
 * Starts the server with `config` (listen address, origin and log level filled in), or with no config
 * at all when `config` is null: then it serves the local target as `npm start` does.
 */
export async function startTermrelayProcess(
  config: Record<string, unknown> | null,
  options: {
    /** The default is 15000 ms. */
    startTimeoutMs?: number;
    /** Added to this process's environment. */
    env?: NodeJS.ProcessEnv;
    /** The loopback port to listen on. The default is a free one. */
    port?: number;
    /** Node options before the entry point (e.g. `--cpu-prof`). The default is none. */
    nodeArgs?: readonly string[];
  } = {},
): Promise<TermrelayProcess> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'termrelay-proc-'));
  const path = join(dir, 'config.json');
  if (config) {
    writeFileSync(
      path,
      JSON.stringify({
        listen: { host: '127.0.0.1', port },
        publicOrigins: [origin],
        log: { level: 'warn' },
        ...config,
      }),
    );
  }
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), TERMRELAY_MAIN, ...(config ? ['--config', path] : [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, ...(config ? {} : { PORT: String(port) }) },
    },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-256 * 1024)));
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-256 * 1024)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => rmSync(dir, { recursive: true, force: true }));
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const started = Date.now();
  while (!out.includes('open http://')) {
    if (child.exitCode !== null || Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`termrelay did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const printedUrl = /open (http:\/\/\S+)/.exec(out)?.[1] ?? `${origin}/`;
  return {
    child,
    printedUrl,
    pid: child.pid ?? 0,
    port,
    origin,
    wsUrl: `ws://127.0.0.1:${port}`,
    output: () => out,
    exited,
    stop: () => child.kill('SIGKILL'),
  };
}

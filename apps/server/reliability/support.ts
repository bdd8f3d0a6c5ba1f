// Shared by the reliability suites: sizes (normal or heavy), credential auditing, figures for the report,
// and a server process to signal and measure from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CredentialProvider } from '@termrelay/relay-core';
import { freePort } from '@termrelay/test-sshd';

export const HEAVY = process.env.TERMRELAY_HEAVY === '1';
export const size = <T>(normal: T, heavy: T): T => (HEAVY ? heavy : normal);

/** Counts acquire() and release() per session for every provider it wraps. */
export class CredentialAudit {
  readonly sessions: { acquired: number; released: number }[] = [];
  readonly wrap = (provider: CredentialProvider): CredentialProvider => {
    const entry = { acquired: 0, released: 0 };
    this.sessions.push(entry);
    return {
      acquire: (signal) => {
        entry.acquired++;
        return provider.acquire(signal);
      },
      release: () => {
        entry.released++;
        return provider.release();
      },
    };
  };

  /** Every session that acquired released exactly once. */
  async settled(): Promise<boolean> {
    await new Promise((r) => setTimeout(r, 50));
    return this.sessions.every((s) => s.acquired === 1 && s.released === 1);
  }
}

/** Figures for docs/reliability.md, collected as the suites run. */
export function record(name: string, figure: Record<string, unknown>): void {
  const path = process.env.TERMRELAY_RELIABILITY_OUT;
  const line = JSON.stringify({ name, heavy: HEAVY, ...figure });
  console.log(`[figure] ${line}`);
  if (path) writeFileSync(path, `${line}\n`, { flag: 'a' });
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly origin: string;
  readonly url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `termrelay --config` as its own process, to signal it and read its memory from outside. */
export async function startServerProcess(config: Record<string, unknown>): Promise<ServerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'termrelay-rel-'));
  const path = join(dir, 'config.json');
  const origin = `http://127.0.0.1:${port}`;
  writeFileSync(
    path,
    JSON.stringify({
      listen: { host: '127.0.0.1', port },
      publicOrigins: [origin],
      log: { level: 'warn' },
      ...config,
    }),
  );
  const child = spawn(process.execPath, [MAIN, '--config', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = Date.now();
  while (!out.includes('open http://')) {
    if (Date.now() - started > 15_000 || child.exitCode !== null)
      throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, port, origin, url: `ws://127.0.0.1:${port}`, output: () => out, exited };
}

// Shared by the reliability suites: sizes (normal or heavy), credential auditing, a server per case,
// figures for the report, and reading a process's memory from outside.
import { readFileSync, writeFileSync } from 'node:fs';
import type { CredentialProvider } from '@termrelay/relay-core';
import type { TestSshd } from '@termrelay/test-sshd';
import { startTestServer, type TestServer } from '../src/testing/harness.js';

export const HEAVY = process.env.TERMRELAY_HEAVY === '1';
export const size = <T>(normal: T, heavy: T): T => (HEAVY ? heavy : normal);

/**
 * A test's timeout sized from its work: `baseMs` for setup and settling, plus `perUnitMs` for each unit
 * (a cycle, a session, a MiB). Per-unit figures are about twice what a unit took on the project's 2-core
 * machine, so the heavy variants get the time their size needs rather than a figure that fits only the
 * normal sizes.
 */
export function timeoutFor(units: number, perUnitMs: number, baseMs = 60_000): number {
  return baseMs + units * perUnitMs;
}

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

/** Runs `body` against a server of its own in front of `sshd`, auditing every credential it uses. */
export async function withServer<T>(
  sshd: TestSshd,
  overrides: Record<string, unknown>,
  body: (server: TestServer, audit: CredentialAudit) => Promise<T>,
): Promise<T> {
  const audit = new CredentialAudit();
  const server = await startTestServer(sshd, overrides, { wrapCredentials: audit.wrap });
  try {
    return await body(server, audit);
  } finally {
    await server.close();
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

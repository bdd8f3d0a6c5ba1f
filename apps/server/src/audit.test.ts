import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAuditLog, type AuditEvent } from './audit.js';
import { createLogger } from './logger.js';

const event: AuditEvent = {
  event: 'end',
  session: 's1',
  principal: 'alice',
  target: 'vm1',
  client: '10.0.0.7',
  cause: 'exit',
  bytesIn: 12,
  bytesOut: 3400,
  durationMs: 5000,
};

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

describe('the audit log', () => {
  it('writes one JSON line per event to the log', async () => {
    const { lines, logger } = capture();
    createAuditLog({ logger }).record(event);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ audit: true, msg: 'audit end', ...event });
  });

  it('appends to audit.file, created with mode 0600, and keeps what was there', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'termrelay-audit-')), 'audit.jsonl');
    writeFileSync(file, '{"earlier":true}\n', { mode: 0o644 });
    const audit = createAuditLog({ logger: capture().logger, file, now: () => Date.UTC(2025, 0, 2) });
    audit.record({ event: 'open', session: 's1', principal: 'alice', target: 'vm1', client: '10.0.0.7' });
    audit.record(event);
    audit.close();
    audit.close();
    audit.record(event);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ earlier: true });
    expect(JSON.parse(lines[1] ?? '')).toEqual({
      time: '2025-01-02T00:00:00.000Z',
      event: 'open',
      session: 's1',
      principal: 'alice',
      target: 'vm1',
      client: '10.0.0.7',
    });
    expect(JSON.parse(lines[2] ?? '')).toMatchObject({ event: 'end', bytesOut: 3400, cause: 'exit' });
  });

  it('stops start-up naming audit.file when it cannot be opened', () => {
    expect(() => createAuditLog({ logger: capture().logger, file: '/nonexistent/dir/audit.jsonl' })).toThrow(
      /audit\.file: cannot open/,
    );
  });
});

import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createHostKeyVerifier,
  fingerprintOf,
  hostsMatch,
  normalizeFingerprint,
  parseKnownHosts,
} from './host-key.js';

const dir = mkdtempSync(join(tmpdir(), 'termrelay-hostkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeKey(name: string): { blob: Buffer; line: string; fingerprint: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], {
    encoding: 'utf8',
  });
  const fingerprint = /SHA256:\S+/.exec(printed)?.[0] ?? '';
  return { blob: Buffer.from(line.split(' ')[1] ?? '', 'base64'), line, fingerprint };
}

const keyA = makeKey('a');
const keyB = makeKey('b');

describe('fingerprintOf', () => {
  it('prints the same SHA256 fingerprint as ssh-keygen -l', () => {
    expect(fingerprintOf(keyA.blob)).toBe(keyA.fingerprint);
    expect(fingerprintOf(keyB.blob)).toBe(keyB.fingerprint);
  });

  it('accepts a padded fingerprint and rejects what is not one', () => {
    expect(normalizeFingerprint(`${keyA.fingerprint}=`)).toBe(keyA.fingerprint);
    expect(() => normalizeFingerprint('MD5:aa:bb')).toThrow(/SHA256/);
    expect(() => normalizeFingerprint('SHA256:short')).toThrow(/SHA256/);
  });
});

describe('pinned fingerprints', () => {
  it('accepts a pinned key and refuses any other, saying which key it saw', async () => {
    const verifier = await createHostKeyVerifier({ fingerprints: [keyA.fingerprint] }, 'h', 22);
    expect(verifier.verify(keyA.blob)).toBe(true);
    expect(verifier.verify(keyB.blob)).toBe(false);
    expect(verifier.rejection).toContain(keyB.fingerprint);
  });

  it('refuses an empty pin list at construction', async () => {
    await expect(createHostKeyVerifier({ fingerprints: [] }, 'h', 22)).rejects.toThrow(/at least one/);
  });
});

describe('known_hosts', () => {
  const [type, base64] = keyA.line.split(' ');

  it('matches plain names, [host]:port for other ports, and lists of names', async () => {
    const text = `# comment\nother.example ${type} ${base64}\n[10.0.0.5]:2222,vm1 ${type} ${base64}\n`;
    expect(parseKnownHosts(text)).toHaveLength(2);
    expect((await createHostKeyVerifier({ knownHosts: text }, '10.0.0.5', 2222)).verify(keyA.blob)).toBe(
      true,
    );
    expect((await createHostKeyVerifier({ knownHosts: text }, 'vm1', 22)).verify(keyA.blob)).toBe(true);
    const wrongPort = await createHostKeyVerifier({ knownHosts: text }, '10.0.0.5', 22);
    expect(wrongPort.verify(keyA.blob)).toBe(false);
    expect(wrongPort.rejection).toMatch(/no known_hosts entry/);
  });

  it('matches hashed host names', async () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[127.0.0.1]:2200').digest('base64');
    const text = `|1|${salt.toString('base64')}|${hash} ${type} ${base64}\n`;
    expect((await createHostKeyVerifier({ knownHosts: text }, '127.0.0.1', 2200)).verify(keyA.blob)).toBe(
      true,
    );
    expect((await createHostKeyVerifier({ knownHosts: text }, '127.0.0.2', 2200)).verify(keyA.blob)).toBe(
      false,
    );
  });

  it('reports a changed key distinctly from an unknown host', async () => {
    const verifier = await createHostKeyVerifier({ knownHosts: `vm1 ${type} ${base64}\n` }, 'vm1', 22);
    expect(verifier.verify(keyB.blob)).toBe(false);
    expect(verifier.rejection).toMatch(/changed/);
  });

  it('refuses a @revoked key even when another line accepts it', async () => {
    const text = `vm1 ${type} ${base64}\n@revoked * ${type} ${base64}\n`;
    const verifier = await createHostKeyVerifier({ knownHosts: text }, 'vm1', 22);
    expect(verifier.verify(keyA.blob)).toBe(false);
    expect(verifier.rejection).toMatch(/revoked/);
  });

  it('honours wildcards and negations', () => {
    expect(hostsMatch('*.example.com,!bad.example.com', 'good.example.com', 22)).toBe(true);
    expect(hostsMatch('*.example.com,!bad.example.com', 'bad.example.com', 22)).toBe(false);
    expect(hostsMatch('web?', 'web1', 22)).toBe(true);
  });

  it('fails with host-key-rejected when the file cannot be read', async () => {
    await expect(
      createHostKeyVerifier({ knownHostsPath: join(dir, 'missing') }, 'h', 22),
    ).rejects.toMatchObject({
      kind: 'host-key-rejected',
    });
  });
});

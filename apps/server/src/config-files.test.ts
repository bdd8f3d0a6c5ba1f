import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigFiles } from './config-files.js';
import { parseConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'termrelay-config-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const plain = ssh2.utils.generateKeyPairSync('ed25519');
const encrypted = ssh2.utils.generateKeyPairSync('ed25519', {
  passphrase: 'secret',
  cipher: 'aes256-ctr',
  rounds: 2,
});
const KEY = file('id_ed25519', plain.private);
const PUB = file('id_ed25519.pub', plain.public);
const ENCRYPTED = file('id_encrypted', encrypted.private);
const hostKey = ssh2.utils.generateKeyPairSync('ed25519').public;
const KNOWN = file('known_hosts', `[10.0.0.5]:2222 ${hostKey}\n`);

function ssh(extra: Record<string, unknown>) {
  return {
    id: 'vm1',
    label: 'VM 1',
    host: '10.0.0.5',
    port: 2222,
    username: 'ops',
    ...extra,
  };
}

async function problems(targets: unknown[]): Promise<string> {
  return await checkConfigFiles(parseConfig({ targets })).then(
    () => '',
    (error: unknown) => (error as Error).message,
  );
}

describe('checkConfigFiles', () => {
  it('accepts readable keys (with their passphrase) and a known_hosts file that knows the host', async () => {
    expect(await problems([ssh({ privateKeyPath: KEY, knownHostsPath: KNOWN })])).toBe('');
    expect(
      await problems([ssh({ privateKeyPath: ENCRYPTED, passphrase: 'secret', knownHostsPath: KNOWN })]),
    ).toBe('');
    expect(await problems([{ id: 'here', label: 'Here', kind: 'local' }])).toBe('');
  });

  it('names the config key of a missing private key', async () => {
    const message = await problems([
      ssh({ privateKeyPath: KNOWN, knownHostsPath: KNOWN }),
      ssh({
        id: 'vm2',
        privateKeyPath: join(dir, 'absent'),
        hostKeyFingerprints: ['SHA256:' + 'A'.repeat(43)],
      }),
    ]);
    expect(message).toMatch(/^ {2}targets\.1\.privateKeyPath: \S+absent does not exist$/m);
  });

  it('says a .pub given as the private key is a public key, and where the private one usually is', async () => {
    expect(await problems([ssh({ privateKeyPath: PUB, knownHostsPath: KNOWN })])).toMatch(
      /targets\.0\.privateKeyPath: \S+id_ed25519\.pub is a public key; give the private key here; the private key is usually \S+id_ed25519$/m,
    );
  });

  it('asks for the passphrase of an encrypted key, and says when it is wrong', async () => {
    expect(await problems([ssh({ privateKeyPath: ENCRYPTED, knownHostsPath: KNOWN })])).toMatch(
      /targets\.0\.privateKeyPath: \S+ is encrypted: give its passphrase in targets\.0\.passphrase/,
    );
    expect(
      await problems([ssh({ privateKeyPath: ENCRYPTED, passphrase: 'wrong', knownHostsPath: KNOWN })]),
    ).toMatch(/could not be decrypted with targets\.0\.passphrase/);
  });

  it('refuses a file that is no key at all', async () => {
    expect(await problems([ssh({ privateKeyPath: KNOWN, knownHostsPath: KNOWN })])).toMatch(
      /targets\.0\.privateKeyPath: \S+ is not a private key termrelay can read/,
    );
  });

  it('names a missing, empty or unrelated known_hosts file, also for a jump host', async () => {
    const empty = file('empty_known_hosts', '# nothing yet\n');
    const other = file('other_known_hosts', `bastion ${hostKey}\n`);
    const message = await problems([
      ssh({ privateKeyPath: KEY, knownHostsPath: join(dir, 'no_known_hosts') }),
      ssh({ id: 'vm2', privateKeyPath: KEY, knownHostsPath: empty }),
      ssh({
        id: 'vm3',
        privateKeyPath: KEY,
        knownHostsPath: other,
        jump: { host: 'bastion', username: 'ops', privateKeyPath: PUB, knownHostsPath: other },
      }),
    ]);
    expect(message.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^ {2}targets\.0\.knownHostsPath: \S+no_known_hosts does not exist$/),
      expect.stringMatching(/^ {2}targets\.1\.knownHostsPath: \S+ holds no host keys/),
      expect.stringMatching(
        /^ {2}targets\.2\.knownHostsPath: \S+ has no key for \[10\.0\.0\.5\]:2222, so every connection would be refused/,
      ),
      expect.stringMatching(/^ {2}targets\.2\.jump\.privateKeyPath: \S+ is a public key/),
    ]);
  });
});

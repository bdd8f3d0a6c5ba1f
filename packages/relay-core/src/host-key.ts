// Host-key verification: a target's key must match a pinned SHA-256 fingerprint or an OpenSSH known_hosts
// entry. Unknown or changed keys are refused; nothing is ever accepted silently or learned on first use.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { RelayError } from './causes.js';

export type HostKeyPolicy =
  /** Fingerprints as `ssh-keygen -l` prints them: `SHA256:` then unpadded base64. */
  | { readonly fingerprints: readonly string[] }
  /** An OpenSSH known_hosts file (plain or hashed host names, `@revoked` honoured). */
  | { readonly knownHostsPath: string }
  /** The text of a known_hosts file. */
  | { readonly knownHosts: string };

/** The `SHA256:...` fingerprint of a raw SSH public key blob, exactly as OpenSSH prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

export function normalizeFingerprint(fingerprint: string): string {
  const trimmed = fingerprint.trim();
  if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(trimmed)) {
    throw new TypeError(
      `not a SHA256 fingerprint as ssh-keygen -l prints it: ${JSON.stringify(fingerprint)}`,
    );
  }
  return trimmed.replace(/=+$/, '');
}

export interface KnownHostsEntry {
  readonly marker: '' | '@revoked' | '@cert-authority';
  readonly hosts: string;
  readonly keyType: string;
  readonly key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as typeof marker;
    const [hosts, keyType, keyBase64] = fields;
    if (hosts === undefined || keyType === undefined || keyBase64 === undefined) continue;
    entries.push({ marker, hosts, keyType, key: Buffer.from(keyBase64, 'base64') });
  }
  return entries;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1' || parts[2] === undefined || parts[3] === undefined)
    return false;
  const expected = Buffer.from(parts[3], 'base64');
  const actual = createHmac('sha1', Buffer.from(parts[2], 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether an entry's host field names `host:port`, with OpenSSH's wildcards and negations. */
export function hostsMatch(hosts: string, host: string, port: number): boolean {
  const name = hostName(host, port);
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(body).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export interface HostKeyVerifier {
  /** True when `keyBlob` is the expected key; otherwise records why in `rejection`. */
  verify(keyBlob: Buffer): boolean;
  /** Why the last key was refused, for the end cause's message. */
  readonly rejection: string | undefined;
}

/**
 * Builds a verifier for `host:port`. Reads a known_hosts file now, so that the SSH handshake never waits
 * on the disk; a missing file is a configuration error and throws.
 */
export async function createHostKeyVerifier(
  policy: HostKeyPolicy,
  host: string,
  port: number,
): Promise<HostKeyVerifier> {
  let rejection: string | undefined;
  let check: (key: Buffer) => string | undefined;

  if ('fingerprints' in policy) {
    const pinned = new Set(policy.fingerprints.map(normalizeFingerprint));
    if (pinned.size === 0) throw new TypeError('hostKey.fingerprints must name at least one fingerprint');
    check = (key) => {
      const actual = fingerprintOf(key);
      return pinned.has(actual) ? undefined : `host key ${actual} is not one of the pinned fingerprints`;
    };
  } else {
    let text: string;
    if ('knownHostsPath' in policy) {
      try {
        text = await readFile(policy.knownHostsPath, 'utf8');
      } catch (error) {
        throw new RelayError('host-key-rejected', `cannot read known_hosts ${policy.knownHostsPath}`, {
          cause: error,
        });
      }
    } else {
      text = policy.knownHosts;
    }
    const entries = parseKnownHosts(text).filter((e) => hostsMatch(e.hosts, host, port));
    check = (key) => {
      if (entries.some((e) => e.marker === '@revoked' && e.key.equals(key))) {
        return `host key ${fingerprintOf(key)} is revoked`;
      }
      const plain = entries.filter((e) => e.marker === '');
      if (plain.some((e) => e.key.equals(key))) return undefined;
      if (plain.length > 0) {
        return `host key for ${hostName(host, port)} changed: got ${fingerprintOf(key)}`;
      }
      return `no known_hosts entry for ${hostName(host, port)} (got ${fingerprintOf(key)})`;
    };
  }

  return {
    verify(key) {
      rejection = check(key);
      return rejection === undefined;
    },
    get rejection() {
      return rejection;
    },
  };
}

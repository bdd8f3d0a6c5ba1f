// The files a config points at — private keys and known_hosts — read and parsed once at start-up. A missing
// or wrong file is the relay's own configuration fault: found here, it stops start-up naming the key path
// in the config, instead of surfacing later on the page as the host's fault ("refused the login", "host
// key rejected"). It never logs, returns or keeps key material; the relay reads the files again at each
// connect, so a rotated key is still picked up.
import { readFile } from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';
import { hostsMatch, parseKnownHosts } from '@termrelay/relay-core';
import { ConfigError, type Config, type EndpointConfig } from './config.js';
import { unreadable } from './config-errors.js';

// ssh2 is CommonJS: Node detects only some of its named exports, so take the whole module.
const { utils } = ssh2;

async function privateKeyProblem(endpoint: EndpointConfig, at: string): Promise<string | undefined> {
  const file = endpoint.privateKeyPath;
  if (file === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return unreadable(file, error);
  }
  const parsed = utils.parseKey(bytes, endpoint.passphrase);
  if (parsed instanceof Error) {
    if (/no passphrase/i.test(parsed.message))
      return `${file} is encrypted: give its passphrase in ${at}.passphrase`;
    if (endpoint.passphrase !== undefined && /decrypt|passphrase|bad/i.test(parsed.message))
      return `${file} could not be decrypted with ${at}.passphrase (${parsed.message})`;
    return `${file} is not a private key termrelay can read (${parsed.message})`;
  }
  const key: ParsedKey | undefined = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
  if (key && !key.isPrivateKey()) {
    const hint = file.endsWith('.pub') ? `; the private key is usually ${file.slice(0, -4)}` : '';
    return `${file} is a public key; give the private key here${hint}`;
  }
  return undefined;
}

async function knownHostsProblem(endpoint: EndpointConfig): Promise<string | undefined> {
  const file = endpoint.knownHostsPath;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return unreadable(file, error);
  }
  const entries = parseKnownHosts(text).filter((e) => e.marker === '');
  if (entries.length === 0) return `${file} holds no host keys (expected OpenSSH known_hosts lines)`;
  if (!entries.some((e) => hostsMatch(e.hosts, endpoint.host, endpoint.port))) {
    const name = endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`;
    return (
      `${file} has no key for ${name}, so every connection would be refused; add it ` +
      `(\`ssh-keyscan -p ${endpoint.port} ${endpoint.host}\`, after checking its fingerprint)`
    );
  }
  return undefined;
}

/**
 * Reads every private key and known_hosts file the config names and throws one ConfigError listing each
 * problem as `targets.0.privateKeyPath: …`. Local targets and password logins have no files to check.
 */
export async function checkConfigFiles(config: Config): Promise<void> {
  const problems: string[] = [];
  const check = async (endpoint: EndpointConfig, at: string) => {
    const key = await privateKeyProblem(endpoint, at);
    if (key) problems.push(`  ${at}.privateKeyPath: ${key}`);
    const hosts = await knownHostsProblem(endpoint);
    if (hosts) problems.push(`  ${at}.knownHostsPath: ${hosts}`);
  };
  for (const [i, target] of config.targets.entries()) {
    if (target.kind !== 'ssh') continue;
    await check(target, `targets.${i}`);
    if (target.jump) await check(target.jump, `targets.${i}.jump`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}

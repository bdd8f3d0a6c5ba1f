import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from './config.js';
import { closeFor, endCauseName, fitReason } from './close-codes.js';

const target = {
  id: 'vm1',
  label: 'VM 1',
  host: '10.0.0.5',
  username: 'ops',
  privateKeyPath: '/etc/termrelay/id_ed25519',
  hostKeyFingerprints: ['SHA256:' + 'A'.repeat(43)],
};

describe('parseConfig', () => {
  it('fills every default', () => {
    const config = parseConfig({ targets: [target] });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.publicOrigins).toEqual(['http://127.0.0.1:8080', 'http://localhost:8080']);
    expect(config.auth).toEqual({ mode: 'none' });
    expect(config.console).toMatchObject({
      maxInputFrameBytes: 1_048_576,
      flushIntervalMs: 8,
      flushBytes: 65_536,
      outputBufferBytes: 1_048_576,
      writeTimeoutMs: 10_000,
      connectTimeoutMs: 15_000,
      livenessIntervalMs: 30_000,
      probeTimeoutMs: 10_000,
      idleTimeoutMs: 1_800_000,
      maxLifetimeMs: 43_200_000,
      clientWindowBytes: 262_144,
      sshBufferBytes: 65_536,
      sshWindowAdaptive: true,
      sshWindowMinBytes: 65_536,
      sshWindowMaxBytes: 2_097_152,
      readAheadBytes: 16_384,
    });
    expect(config.targets[0]).toMatchObject({ port: 22, kind: 'ssh', env: { LANG: 'C.UTF-8' } });
  });

  it('lets HOST and PORT override listen', () => {
    const config = parseConfig({ targets: [target] }, { HOST: '127.0.0.2', PORT: '9000' });
    expect(config.listen).toEqual({ host: '127.0.0.2', port: 9000 });
  });

  it.each([
    [{ targets: [] }, /targets: configure at least one target/],
    [{ targets: [{ ...target, id: '../x' }] }, /targets\.0\.id: must be 1-64/],
    [{ targets: [{ ...target, password: 'x' }] }, /exactly one of privateKeyPath or password/],
    [{ targets: [{ ...target, hostKeyFingerprints: undefined }] }, /host keys are always verified/],
    [{ targets: [{ ...target, hostKeyFingerprints: ['MD5:aa'] }] }, /targets\.0\.hostKeyFingerprints\.0/],
    [{ targets: [target, target] }, /duplicate id vm1/],
    [{ targets: [target], listen: { host: '0.0.0.0' } }, /auth\.mode: "none" is only allowed/],
    [{ targets: [target], auth: { mode: 'token', tokens: ['short'] } }, /at least 16 characters/],
    [
      { targets: [target], console: { flushBytes: 65536, outputBufferBytes: 4096 } },
      /console\.outputBufferBytes/,
    ],
    [{ targets: [target], console: { writeTimeoutMs: -5 } }, /console\.writeTimeoutMs/],
    [{ targets: [target], typo: 1 }, /^\s+typo: unknown key$/m],
    [{ targets: [{ ...target, jump: { host: 'b', username: 'u' } }] }, /targets\.0\.jump/],
    [{ targets: [target], auth: { mode: 'jwt' } }, /auth: give exactly one of secretFile/],
    [
      { targets: [target], auth: { mode: 'jwt', secretFile: '/s', jwksUrl: 'https://idp.example/jwks' } },
      /auth: give exactly one of secretFile/,
    ],
    [
      { targets: [target], auth: { mode: 'jwt', jwksUrl: 'http://idp.example/jwks' } },
      /auth\.jwksUrl: must be an https URL/,
    ],
    [{ targets: [target], auth: { mode: 'proxy', trustedProxies: [] } }, /auth\.trustedProxies: list/],
    [
      { targets: [target], auth: { mode: 'proxy', trustedProxies: ['10.0.0.0/33'] } },
      /auth\.trustedProxies\.0: must be an IP address/,
    ],
    [
      { targets: [target], auth: { mode: 'proxy', trustedProxies: ['::1'], userHeader: 'X User' } },
      /auth\.userHeader: must be an HTTP header name/,
    ],
    [{ targets: [{ ...target, allow: ['alice'] }] }, /targets\.0\.allow: allow needs to know who is asking/],
    [
      { targets: [{ ...target, allow: [] }], auth: { mode: 'token', tokens: ['x'.repeat(32)] } },
      /targets\.0\.allow: list at least one/,
    ],
  ])('refuses a bad config, naming the key (%#)', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it('fills the defaults of the jwt and proxy modes', () => {
    const jwt = parseConfig({
      targets: [target],
      auth: { mode: 'jwt', jwksUrl: 'http://127.0.0.1:9000/jwks.json' },
    });
    expect(jwt.auth).toEqual({
      mode: 'jwt',
      audience: 'termrelay',
      jwksUrl: 'http://127.0.0.1:9000/jwks.json',
      maxTicketAgeSec: 300,
      clockToleranceSec: 30,
      jwksCacheSec: 600,
      jwksCooldownSec: 30,
      jwksTimeoutMs: 5000,
    });
    const proxy = parseConfig({
      targets: [{ ...target, allow: ['alice', 'group:ops'] }],
      auth: { mode: 'proxy', trustedProxies: ['127.0.0.1'], userHeader: 'X-Auth-Request-User' },
    });
    expect(proxy.auth).toEqual({
      mode: 'proxy',
      userHeader: 'x-auth-request-user',
      groupsHeader: 'x-forwarded-groups',
      trustedProxies: ['127.0.0.1'],
    });
    expect(proxy.targets[0]?.allow).toEqual(['alice', 'group:ops']);
    expect(proxy.audit).toEqual({});
  });

  it('allows a page opened as localhost or as 127.0.0.1 by default, since both reach a loopback server', () => {
    expect(
      parseConfig({ targets: [target], listen: { host: 'localhost', port: 9000 } }).publicOrigins,
    ).toEqual(['http://localhost:9000', 'http://127.0.0.1:9000']);
    expect(parseConfig({ targets: [target], listen: { host: '::1' } }).publicOrigins).toEqual([
      'http://[::1]:8080',
      'http://localhost:8080',
    ]);
    expect(
      parseConfig({
        targets: [target],
        listen: { host: '10.0.0.1' },
        auth: { mode: 'token', tokens: ['x'.repeat(32)] },
      }).publicOrigins,
    ).toEqual(['http://10.0.0.1:8080']);
    expect(
      parseConfig({ targets: [target], publicOrigins: ['https://console.example.com'] }).publicOrigins,
    ).toEqual(['https://console.example.com']);
  });

  it.each([
    [
      { targets: [target], publicOrigin: [] },
      /^\s+publicOrigin: unknown key — did you mean `publicOrigins`\?$/m,
    ],
    [
      { targets: [{ ...target, hostKeyFingerprint: target.hostKeyFingerprints }] },
      /targets\.0\.hostKeyFingerprint: unknown key — did you mean `hostKeyFingerprints`\?/,
    ],
    [
      { targets: [target], console: { idleTimeout: 5 } },
      /console\.idleTimeout: unknown key — did you mean `idleTimeoutMs`\?/,
    ],
    [{ targets: [target], lisen: { port: 1 } }, /lisen: unknown key — did you mean `listen`\?/],
    [
      { targets: [{ id: 'l', label: 'L', kind: 'local', shel: '/bin/sh' }] },
      /targets\.0\.shel: unknown key — did you mean `shell`\?/,
    ],
  ])('names the known key an unknown one was probably meant to be (%#)', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it('names the node after the host by default and takes a URL-safe nodeId', () => {
    expect(parseConfig({ targets: [target] }).nodeId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
    expect(parseConfig({ targets: [target], nodeId: 'relay-eu_2' }).nodeId).toBe('relay-eu_2');
  });

  it.each(['', 'n1.example', 'n 1', '-n1', 'n/1', 'x'.repeat(64)])('refuses the nodeId %j', (nodeId) => {
    expect(() => parseConfig({ targets: [target], nodeId })).toThrow(/nodeId: must be 1-63 letters/);
  });

  it('allows no auth on any loopback address, token auth anywhere', () => {
    expect(() => parseConfig({ targets: [target], listen: { host: '127.0.0.5' } })).not.toThrow();
    expect(() => parseConfig({ targets: [target], listen: { host: '::1' } })).not.toThrow();
    expect(() =>
      parseConfig({
        targets: [target],
        listen: { host: '0.0.0.0' },
        auth: { mode: 'token', tokens: ['x'.repeat(32)] },
      }),
    ).not.toThrow();
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'termrelay-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('points at the line and column of a JSON syntax error, with the line itself', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(
      path,
      '{\n  "listen": { "port": 8080 },\n  "targets": [\n    { "id": "vm1" "label": "VM" }\n  ]\n}\n',
    );
    const message = await loadConfigFile(path).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    expect(message).toMatch(/is not valid JSON at line 4, column 19: /);
    expect(message).toContain('    { "id": "vm1" "label": "VM" }\n                      ^');
    expect(message).not.toMatch(/position/);
  });

  it('says so when the file ends before the JSON does', async () => {
    const path = join(dir, 'short.json');
    writeFileSync(path, '{ "targets": [');
    await expect(loadConfigFile(path)).rejects.toThrow(/ends before the JSON does/);
  });
});

describe('close codes', () => {
  it('maps each cause to its code', () => {
    const close = (cause: Parameters<typeof endCauseName>[0]) => closeFor(endCauseName(cause));
    expect(close({ kind: 'exit', exitCode: 0, message: 'bye' }).code).toBe(1000);
    expect(close({ kind: 'idle-timeout', message: 'idle' }).code).toBe(4001);
    expect(close({ kind: 'host-key-rejected', message: 'no' }).code).toBe(4012);
    expect(close({ kind: 'target-closed', message: 'gone' }).code).toBe(4013);
    expect(close({ kind: 'credentials-unavailable', message: 'ENOENT /etc/x' }).code).toBe(4014);
  });

  it('sends the words of the table, never the details of the cause', () => {
    const details = 'cannot connect to 10.0.0.5:22: connect ECONNREFUSED as ops with /etc/termrelay/id';
    for (const kind of [
      'connect-failed',
      'auth-failed',
      'credentials-unavailable',
      'host-key-rejected',
    ] as const) {
      const { reason } = closeFor(endCauseName({ kind, message: details }));
      expect(reason).not.toMatch(/10\.0\.0\.5|ECONNREFUSED|ops|\/etc/);
    }
  });

  it('fits a reason into 123 bytes without splitting a character', () => {
    const reason = fitReason('é'.repeat(200));
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).not.toContain('\uFFFD');
  });
});

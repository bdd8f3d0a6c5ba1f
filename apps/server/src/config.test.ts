import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { closeForCause, fitReason } from './close-codes.js';

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
    expect(config.publicOrigins).toEqual(['http://127.0.0.1:8080']);
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
    [{ targets: [target], typo: 1 }, /Unrecognized key/],
    [{ targets: [{ ...target, jump: { host: 'b', username: 'u' } }] }, /targets\.0\.jump/],
  ])('refuses a bad config, naming the key (%#)', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
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

describe('close codes', () => {
  it('maps each cause to its code', () => {
    expect(closeForCause({ kind: 'exit', exitCode: 0, message: 'bye' }).code).toBe(1000);
    expect(closeForCause({ kind: 'idle-timeout', message: 'idle' }).code).toBe(4001);
    expect(closeForCause({ kind: 'host-key-rejected', message: 'no' }).code).toBe(4012);
    expect(closeForCause({ kind: 'target-closed', message: 'gone' }).code).toBe(4013);
  });

  it('fits a reason into 123 bytes without splitting a character', () => {
    const reason = fitReason('é'.repeat(200));
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).not.toContain('\uFFFD');
  });
});

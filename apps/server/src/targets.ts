// Configured targets, turned into what relay-core dials. SSH targets dial over TCP (or a jump host); local
// targets are served by an in-process SSH server created once at start. Only `{id, label}` ever leaves
// the server.
import { createLocalTarget, type LocalTarget } from '@termrelay/local-target';
import { staticCredentials, type JumpHost, type Target } from '@termrelay/relay-core';
import type { EndpointConfig, SshTargetConfig, TargetConfig } from './config.js';

function credentialsFor(endpoint: EndpointConfig) {
  return staticCredentials({
    username: endpoint.username,
    ...(endpoint.privateKeyPath !== undefined ? { privateKeyPath: endpoint.privateKeyPath } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
    ...(endpoint.passphrase !== undefined ? { passphrase: endpoint.passphrase } : {}),
  });
}

function hostKeyFor(endpoint: EndpointConfig): Target['hostKey'] {
  return endpoint.hostKeyFingerprints
    ? { fingerprints: endpoint.hostKeyFingerprints }
    : { knownHostsPath: endpoint.knownHostsPath ?? '' };
}

function sshRelayTarget(target: SshTargetConfig): Target {
  const jump: JumpHost | undefined = target.jump
    ? {
        host: target.jump.host,
        port: target.jump.port,
        hostKey: hostKeyFor(target.jump),
        credentials: credentialsFor(target.jump),
      }
    : undefined;
  return {
    host: target.host,
    port: target.port,
    hostKey: hostKeyFor(target),
    credentials: credentialsFor(target),
    ...(jump ? { jump } : {}),
  };
}

export interface ResolvedTarget {
  readonly config: TargetConfig;
  readonly relay: Target;
  /** Environment sent with the shell request. */
  readonly env: Readonly<Record<string, string>>;
}

export interface TargetRegistry {
  get(id: string): ResolvedTarget | undefined;
  /** Stops the in-process servers of local targets. */
  close(): void;
}

export function createTargetRegistry(configs: readonly TargetConfig[]): TargetRegistry {
  const locals: LocalTarget[] = [];
  const byId = new Map<string, ResolvedTarget>();
  for (const config of configs) {
    if (config.kind === 'local') {
      const local = createLocalTarget({
        ...(config.shell !== undefined ? { shell: config.shell } : {}),
        ...(config.args !== undefined ? { args: config.args } : {}),
        ...(config.cwd !== undefined ? { cwd: config.cwd } : {}),
      });
      locals.push(local);
      byId.set(config.id, { config, relay: local.target, env: config.env });
    } else {
      byId.set(config.id, { config, relay: sshRelayTarget(config), env: config.env });
    }
  }
  return {
    get: (id) => byId.get(id),
    close: () => {
      for (const local of locals) local.close();
    },
  };
}

export interface PublicTarget {
  readonly id: string;
  readonly label: string;
}

export function publicTargets(targets: readonly TargetConfig[]): PublicTarget[] {
  return targets.map(({ id, label }) => ({ id, label }));
}

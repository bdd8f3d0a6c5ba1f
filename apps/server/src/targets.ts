// Configured targets, turned into what relay-core dials. Only `{id, label}` ever leaves the server.
import { staticCredentials, type JumpHost, type Target } from '@termrelay/relay-core';
import type { EndpointConfig, TargetConfig } from './config.js';

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

export function relayTarget(target: TargetConfig): Target {
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

export interface PublicTarget {
  readonly id: string;
  readonly label: string;
}

export function publicTargets(targets: readonly TargetConfig[]): PublicTarget[] {
  return targets.map(({ id, label }) => ({ id, label }));
}

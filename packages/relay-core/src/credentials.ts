// Credentials come from a provider: acquire() before dialing, release() exactly once afterwards. A provider
// may mint something ephemeral (a one-time key installed on the target) and remove it in release().
import { readFile } from 'node:fs/promises';

export interface Credentials {
  readonly username: string;
  /** An OpenSSH or PEM private key. */
  readonly privateKey?: Buffer | string;
  readonly passphrase?: string;
  readonly password?: string;
}

export interface CredentialProvider {
  /** Called once per session before the dial; the signal aborts when the session ends first. */
  acquire(signal: AbortSignal): Promise<Credentials>;
  /**
   * Called exactly once per session after acquire() was called, on every exit path (normal end, dial or
   * auth failure, abort, exception), even when acquire() itself failed. Errors it throws are ignored.
   */
  release(): void | Promise<void>;
}

export interface StaticCredentialsOptions {
  readonly username: string;
  /** A private key as text or bytes. Give this, `privateKeyPath` or `password`. */
  readonly privateKey?: Buffer | string;
  /** A file holding the private key, read at each acquire() so a rotated key is picked up. */
  readonly privateKeyPath?: string;
  readonly passphrase?: string;
  readonly password?: string;
}

/** The first provider: a fixed key or password, nothing to clean up. */
export function staticCredentials(options: StaticCredentialsOptions): CredentialProvider {
  const given = [options.privateKey, options.privateKeyPath, options.password].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new TypeError('staticCredentials: give exactly one of privateKey, privateKeyPath or password');
  }
  if (!options.username) throw new TypeError('staticCredentials: username is required');
  return {
    async acquire() {
      const privateKey =
        options.privateKeyPath !== undefined ? await readFile(options.privateKeyPath) : options.privateKey;
      return {
        username: options.username,
        ...(privateKey !== undefined ? { privateKey } : {}),
        ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
        ...(options.password !== undefined ? { password: options.password } : {}),
      };
    },
    release() {},
  };
}

/**
 * Returns a function that calls `provider.release()` the first time it is called and never again, with
 * any error it throws or rejects with ignored: teardown must go on whatever the provider does.
 */
export function releaser(provider: CredentialProvider): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    void Promise.resolve()
      .then(() => provider.release())
      .catch(() => {});
  };
}

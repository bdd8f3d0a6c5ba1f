// The audit trail: one JSON line per session event (open, attach, detach, end) saying who, which target,
// from where, why it ended and how much passed each way. Lines go to the log, and also to `audit.file`
// when configured: opened once with O_APPEND (lines are never rewritten, and concurrent writers interleave
// whole lines) and mode 0600 (it names who used what). It never records a ticket, token or any input or
// output, only counts; a failing file is reported in the log and never stops a session.
import { closeSync, fchmodSync, openSync, writeSync, constants } from 'node:fs';
import { ConfigError } from './config.js';
import type { Logger } from './logger.js';

export type AuditEventName = 'open' | 'attach' | 'detach' | 'end';

export interface AuditEvent {
  readonly event: AuditEventName;
  /** The session id, as the page shows it. */
  readonly session: string;
  /** Who: the principal id (a ticket's `sub`, the proxy's user, `token-…`, or `anonymous`). */
  readonly principal: string;
  readonly target: string;
  /** The client's address (the real one behind `trustProxy` addresses). */
  readonly client: string;
  /** How it ended (end, detach): a cause name from docs/protocol.md. */
  readonly cause?: string;
  /** Bytes from the client to the target, so far. */
  readonly bytesIn?: number;
  /** Bytes from the target to the client, so far. */
  readonly bytesOut?: number;
  /** Since the session opened. */
  readonly durationMs?: number;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  /** Closes the file; later records go to the log only. Idempotent. */
  close(): void;
}

export interface AuditOptions {
  /** Also append lines here. The default is the log only. */
  readonly file?: string;
  readonly logger: Logger;
  /** The clock for each line's `time`. The default is Date.now. */
  readonly now?: () => number;
}

const FILE_MODE = 0o600;

/** Opens (creating if needed) the audit file for appending. Throws ConfigError naming `audit.file`. */
function openAuditFile(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, FILE_MODE);
  } catch (error) {
    throw new ConfigError(`audit.file: cannot open ${file} for appending (${(error as Error).message})`);
  }
  try {
    // A file that existed before keeps its mode on open: narrow it, the trail names who used what.
    fchmodSync(fd, FILE_MODE);
  } catch (error) {
    closeSync(fd);
    throw new ConfigError(`audit.file: cannot make ${file} private (${(error as Error).message})`);
  }
  return fd;
}

export function createAuditLog(options: AuditOptions): AuditLog {
  const log = options.logger.child({ audit: true });
  const now = options.now ?? Date.now;
  let fd = options.file !== undefined ? openAuditFile(options.file) : undefined;
  return {
    record(event) {
      log.info(event, `audit ${event.event}`);
      if (fd === undefined) return;
      try {
        // One write per line: with O_APPEND the kernel places it whole at the end.
        writeSync(fd, `${JSON.stringify({ time: new Date(now()).toISOString(), ...event })}\n`);
      } catch (error) {
        log.error({ err: (error as Error).message, file: options.file }, 'cannot write the audit file');
      }
    },
    close() {
      if (fd === undefined) return;
      const open = fd;
      fd = undefined;
      try {
        closeSync(open);
      } catch {
        // Already closed: nothing more to lose.
      }
    },
  };
}

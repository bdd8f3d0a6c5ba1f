// What a tab remembers of its console across a reload, in sessionStorage (one tab's, so a second tab
// never resumes the first one's session by accident): where to resume — session id, the current resume
// token and the output offset the terminal had parsed — and the terminal snapshot saved on `pagehide`.
// One key pair per target. Storage that is missing, full or holds garbage reads as "nothing kept"; this
// module never throws and never talks to the network.

/** Where a tab resumes its console. */
export interface ResumePoint {
  readonly session: string;
  /** The token from the last `ready`: it works once. */
  readonly resume: string;
  /** Output bytes the terminal had parsed when this was saved. */
  readonly offset: number;
}

/** The terminal as it was at `offset` of `session`: what `@xterm/addon-serialize` wrote. */
export interface Snapshot {
  readonly session: string;
  readonly offset: number;
  readonly cols: number;
  readonly rows: number;
  readonly data: string;
}

export interface SessionStoreOptions {
  /** Prefix of the storage keys. The default is `termrelay:`. */
  readonly prefix?: string;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 512;
}

export class SessionStore {
  private readonly resumeKey: string;
  private readonly snapshotKey: string;

  /** `storage` is the tab's sessionStorage, or undefined where a browser refuses it. */
  constructor(
    private readonly storage: Storage | undefined,
    target: string,
    options: SessionStoreOptions = {},
  ) {
    const prefix = options.prefix ?? 'termrelay:';
    this.resumeKey = `${prefix}resume:${target}`;
    this.snapshotKey = `${prefix}snapshot:${target}`;
  }

  loadResume(): ResumePoint | undefined {
    const value = this.read(this.resumeKey);
    if (!value || !isId(value.session) || !isId(value.resume) || !isCount(value.offset)) return undefined;
    return { session: value.session, resume: value.resume, offset: value.offset };
  }

  saveResume(point: ResumePoint): void {
    this.write(this.resumeKey, point);
  }

  /** The snapshot kept for `session`; one of another session (an older one) counts as none. */
  loadSnapshot(session: string): Snapshot | undefined {
    const value = this.read(this.snapshotKey);
    if (!value || value.session !== session || !isCount(value.offset)) return undefined;
    if (!isCount(value.cols) || !isCount(value.rows) || value.cols < 1 || value.rows < 1) return undefined;
    if (typeof value.data !== 'string') return undefined;
    return { session, offset: value.offset, cols: value.cols, rows: value.rows, data: value.data };
  }

  /** Keeps `snapshot`; false when storage refused it (full: a reload then replays from the server). */
  saveSnapshot(snapshot: Snapshot): boolean {
    if (this.write(this.snapshotKey, snapshot)) return true;
    this.remove(this.snapshotKey);
    return false;
  }

  /** Forgets the session: it ended, or the page moved to another one. */
  clear(): void {
    this.remove(this.resumeKey);
    this.remove(this.snapshotKey);
  }

  private read(key: string): Record<string, unknown> | undefined {
    try {
      const text = this.storage?.getItem(key);
      if (!text) return undefined;
      const value: unknown = JSON.parse(text);
      return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  private write(key: string, value: object): boolean {
    try {
      if (!this.storage) return false;
      this.storage.setItem(key, JSON.stringify(value));
      return true;
    } catch {
      return false;
    }
  }

  private remove(key: string): void {
    try {
      this.storage?.removeItem(key);
    } catch {
      // Nothing to do: storage that cannot be written holds nothing of ours.
    }
  }
}

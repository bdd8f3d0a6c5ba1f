// One session's recording: an asciicast v2 file (header line, then `[t, "o"|"i"|"r", data]` event lines),
// written in the background so that a slow or failing disk never holds the session up. Output is decoded
// as one UTF-8 stream: a character split across chunks is written whole in the later event, and invalid
// bytes become U+FFFD. It owns the open file and nothing else; it never decides whether a session goes on
// when the recording fails — it reports the failure once through `onError` and drops what follows.
import { open, type FileHandle } from 'node:fs/promises';
import { Emitter, type Disposable } from '@termrelay/relay-core';

export interface RecorderOptions {
  /** The file to create; it must not exist yet. */
  readonly path: string;
  readonly cols: number;
  readonly rows: number;
  /** The header's title: the target's label. */
  readonly title: string;
  /** Facts kept in the header for listing and access checks. */
  readonly session: string;
  readonly target: string;
  readonly principal: string;
  /** Also record input as "i" events. The default is false. */
  readonly input?: boolean;
  /**
   * Text waiting for the disk beyond this fails the recording rather than grow without bound.
   * The default is 16777216.
   */
  readonly maxPendingBytes?: number;
  /** Milliseconds, for event times. The default is performance.now. */
  readonly now?: () => number;
}

export const DEFAULT_RECORDER = { maxPendingBytes: 16_777_216 } as const;

/** The header line of a termrelay recording (asciicast v2 plus `principal` and `termrelay`). */
export interface CastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  readonly timestamp: number;
  readonly title: string;
  readonly env: { readonly TERM: string };
  readonly principal: string;
  readonly termrelay: { readonly session: string; readonly target: string };
}

export class Recorder implements Disposable {
  private readonly outputDecoder = new TextDecoder('utf-8');
  private readonly inputDecoder = new TextDecoder('utf-8');
  private readonly errorEmitter = new Emitter<Error>();
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly maxPendingBytes: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | undefined;
  private failed = false;
  private closing = false;
  /** Fires once, when the recording stopped for an error (the file keeps what was written before). */
  readonly onError = this.errorEmitter.event;

  private constructor(
    private readonly file: FileHandle,
    private readonly options: RecorderOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_RECORDER.maxPendingBytes;
    const header: CastHeader = {
      version: 2,
      width: options.cols,
      height: options.rows,
      timestamp: Math.floor(Date.now() / 1000),
      title: options.title,
      env: { TERM: 'xterm-256color' },
      principal: options.principal,
      termrelay: { session: options.session, target: options.target },
    };
    this.queue(JSON.stringify(header));
  }

  /** Creates the file (0600, never over an existing one) and writes the header. Rejects when it cannot. */
  static async open(options: RecorderOptions): Promise<Recorder> {
    const file = await open(options.path, 'wx', 0o600);
    return new Recorder(file, options);
  }

  /** The recorded session's id. */
  get session(): string {
    return this.options.session;
  }

  output(chunk: Buffer): void {
    this.event('o', this.outputDecoder.decode(chunk, { stream: true }));
  }

  input(chunk: Buffer): void {
    if (this.options.input) this.event('i', this.inputDecoder.decode(chunk, { stream: true }));
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  /** Writes what is left (a trailing partial character as U+FFFD) and closes the file. Never rejects. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.event('o', this.outputDecoder.decode());
    this.closing = true;
    while (this.writing) await this.writing;
    await this.file.close().catch(() => {});
    this.errorEmitter.dispose();
  }

  dispose(): void {
    void this.close();
  }

  private event(kind: 'o' | 'i' | 'r', data: string): void {
    if (data.length === 0) return;
    const seconds = Math.round((this.now() - this.startedAt) * 1000) / 1_000_000;
    this.queue(JSON.stringify([seconds, kind, data]));
  }

  private queue(line: string): void {
    if (this.failed || this.closing) return;
    this.pending.push(line, '\n');
    this.pendingBytes += line.length + 1;
    if (this.pendingBytes > this.maxPendingBytes) {
      return this.fail(new Error(`more than ${this.maxPendingBytes} bytes waiting for the disk`));
    }
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failed) {
        const text = this.pending.join('');
        this.pending = [];
        this.pendingBytes = 0;
        await this.file.write(text);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.writing = undefined;
    }
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.errorEmitter.fire(error);
  }
}

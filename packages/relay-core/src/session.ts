// One console session: credentials → dial → SSH handshake → PTY + shell → pumps both ways → liveness →
// exactly one end cause and a full teardown. It takes the client as a plain byte stream and knows nothing
// of the transport that carries it. It never ends or destroys the client stream: the transport owns it
// and closes it with the cause this session reports.
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import {
  causeFromError,
  describeCause,
  exitMessage,
  RelayError,
  type EndCause,
  type EndCauseKind,
} from './causes.js';
import { systemClock, type Clock } from './clock.js';
import { releaser, type CredentialProvider } from './credentials.js';
import { closeDialed, dialWithTimeout, tcpDialer, type DialedConnection, type Dialer } from './dial.js';
import type { HostKeyPolicy } from './host-key.js';
import { jumpDialer, type JumpHost } from './jump.js';
import { DisposableStore, Emitter, listen, toDisposable, type Disposable } from './lifecycle.js';
import { DEFAULT_LIVENESS, Liveness, validateLiveness, type LivenessOptions } from './liveness.js';
import { pump, type Pump } from './pump.js';
import { sshConnect } from './ssh-connect.js';
import {
  adaptiveSshWindow,
  DEFAULT_SSH_WINDOW,
  openWithWindow,
  validateSshWindow,
  type InitialWindow,
  type SshWindowOptions,
} from './ssh-window.js';

export interface Target {
  readonly host: string;
  /** The default is 22. */
  readonly port?: number;
  readonly hostKey: HostKeyPolicy;
  readonly credentials: CredentialProvider;
  /** Reach the target through this bastion (ProxyJump). The default is none. */
  readonly jump?: JumpHost;
  /** Overrides how the target is reached. The default is direct TCP, or the jump host when given. */
  readonly dialer?: Dialer;
}

export interface PtyOptions {
  /** The default is 80. */
  readonly cols?: number;
  /** The default is 24. */
  readonly rows?: number;
  /** The default is 'xterm-256color'. */
  readonly term?: string;
  /** Environment sent with the shell request (the server's AcceptEnv decides). The default is none. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Counters a transport may feed into its metrics. All are optional and must be cheap. */
export interface SessionHooks {
  onInputBytes?(bytes: number): void;
  onOutputBytes?(bytes: number): void;
  /** The client pushed back and reading from the SSH channel paused. */
  onOutputPause?(): void;
}

export interface SessionOptions {
  readonly target: Target;
  readonly pty?: PtyOptions;
  /** Deadline for the dial (direct or through the jump host). The default is 15000 ms. */
  readonly connectTimeoutMs?: number;
  /** Deadline for the SSH handshake with authentication, and again for opening the shell. The default is 15000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** The watch loop's settings; see LivenessOptions for each default. */
  readonly liveness?: Partial<LivenessOptions>;
  /** The transport's client probe; see LivenessProbes.client. The default is none. */
  readonly clientProbe?: () => boolean;
  /** The SSH probe; the default sends a global request with want-reply over the session's connection. */
  readonly targetProbe?: ((client: Client, done: (alive: boolean) => void) => void) | false;
  /**
   * How much output ssh2 may buffer ahead of the client before the SSH window stops being replenished.
   * ssh2 sets this to its 2 MiB window, so up to twice the window can sit between the remote program and
   * a stalled client; a smaller buffer bounds that to the window plus this. The default is 2097152 (ssh2's).
   */
  readonly channelBufferBytes?: number;
  /**
   * The SSH window the relay grants, following how fast the client consumes (see ssh-window.ts); `false`
   * keeps ssh2's fixed 2 MiB window. The default is adaptive, with DEFAULT_SSH_WINDOW's bounds.
   */
  readonly window?: Partial<SshWindowOptions> | false;
  /** The default is the system clock. */
  readonly clock?: Clock;
  /** Aborting ends the session with cause `aborted`. */
  readonly signal?: AbortSignal;
  readonly hooks?: SessionHooks;
}

export type SessionState = 'connecting' | 'open' | 'ended';

const DEFAULT_TIMEOUT_MS = 15_000;
export const MAX_PTY_DIMENSION = 10_000;

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_PTY_DIMENSION) {
    throw new RangeError(`${name} must be an integer from 1 to ${MAX_PTY_DIMENSION}, got ${value}`);
  }
}

function checkTimeout(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a number > 0, got ${value}`);
}

/**
 * The SSH probe: a global request with want-reply. `cancel-tcpip-forward` of a forward never requested
 * is answered by every RFC 4254 server (with failure) and changes nothing on either side — the same round
 * trip OpenSSH's `keepalive@openssh.com` makes, reachable through ssh2's public API. Any reply means alive.
 */
export function globalRequestProbe(client: Client, done: (alive: boolean) => void): void {
  try {
    client.unforwardIn('127.0.0.1', 0, () => done(true));
  } catch {
    done(false);
  }
}

/**
 * ssh2 gives no option for its channel's readable buffer, which it sizes to its 2 MiB SSH window; it stops
 * replenishing the window only once that buffer is full. Node keeps the limit in the stream's state, so
 * lowering it there makes the channel push back sooner. Without that field (another Node) nothing changes.
 */
function limitReadBuffer(channel: ClientChannel, bytes: number | undefined): void {
  if (bytes === undefined) return;
  const state = (channel as unknown as { _readableState?: { highWaterMark?: unknown } })._readableState;
  if (state && typeof state.highWaterMark === 'number') state.highWaterMark = bytes;
}

export class RelaySession implements Disposable {
  private readonly store = new DisposableStore();
  private readonly controller = new AbortController();
  private readonly readyEmitter = new Emitter<void>();
  private readonly endEmitter = new Emitter<EndCause>();
  private readonly pty: Required<Omit<PtyOptions, 'env'>> & Pick<PtyOptions, 'env'>;
  private readonly connectTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly liveness: LivenessOptions;
  private readonly clock: Clock;
  private readonly window: SshWindowOptions | undefined;
  private resolveEnded!: (cause: EndCause) => void;
  private channel: ClientChannel | undefined;
  private exit: { code: number | null; signal: string | null } | undefined;
  /** Set once acquire() is called: from then on, teardown must release. */
  private release: (() => void) | undefined;
  private endCause: EndCause | undefined;
  private currentState: SessionState = 'connecting';

  /** Fires once when the shell is open and bytes flow. */
  readonly onReady = this.readyEmitter.event;
  /** Fires once with the cause, after teardown. */
  readonly onEnd = this.endEmitter.event;
  /** Resolves once with the cause, after teardown; never rejects. */
  readonly ended: Promise<EndCause>;

  constructor(
    private readonly client: Duplex,
    private readonly options: SessionOptions,
  ) {
    const target = options.target;
    if (!target || typeof target.host !== 'string' || target.host === '') {
      throw new TypeError('target.host is required');
    }
    if (!target.hostKey) throw new TypeError('target.hostKey is required: host keys are always verified');
    if (!target.credentials) throw new TypeError('target.credentials is required');
    this.pty = {
      cols: options.pty?.cols ?? 80,
      rows: options.pty?.rows ?? 24,
      term: options.pty?.term ?? 'xterm-256color',
      env: options.pty?.env,
    };
    checkDimension('pty.cols', this.pty.cols);
    checkDimension('pty.rows', this.pty.rows);
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    checkTimeout('connectTimeoutMs', this.connectTimeoutMs);
    checkTimeout('handshakeTimeoutMs', this.handshakeTimeoutMs);
    const buffer = options.channelBufferBytes;
    if (buffer !== undefined && (!Number.isInteger(buffer) || buffer < 1024)) {
      throw new RangeError(`channelBufferBytes must be an integer >= 1024, got ${buffer}`);
    }
    this.liveness = { ...DEFAULT_LIVENESS, ...options.liveness };
    validateLiveness(this.liveness);
    this.clock = options.clock ?? systemClock;
    this.window = options.window === false ? undefined : { ...DEFAULT_SSH_WINDOW, ...options.window };
    if (this.window) validateSshWindow(this.window);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The end cause, once ended. */
  get cause(): EndCause | undefined {
    return this.endCause;
  }

  /** Runs the session to its end. Call once; resolves with the cause and never rejects. */
  start(): Promise<EndCause> {
    void this.run();
    return this.ended;
  }

  /** Sends an SSH window-change. Ignored unless the shell is open; throws on out-of-range sizes. */
  resize(cols: number, rows: number): void {
    checkDimension('cols', cols);
    checkDimension('rows', rows);
    if (this.currentState !== 'open' || !this.channel) return;
    // ssh2 takes rows first.
    this.channel.setWindow(rows, cols, 0, 0);
  }

  /** Ends the session with cause `aborted` (e.g. the server shuts down). */
  abort(message?: string): void {
    this.end({ kind: 'aborted', message: message ?? describeCause('aborted') });
  }

  /** Ends the session with a cause its owner knows (a client that left on purpose, a grace that ran out). */
  stop(kind: EndCauseKind, message?: string): void {
    this.end({ kind, message: message ?? describeCause(kind) });
  }

  dispose(): void {
    this.abort();
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const external = this.options.signal;
    if (external) {
      if (external.aborted) return this.abort();
      const onAbort = () => this.abort();
      external.addEventListener('abort', onAbort, { once: true });
      this.store.add(toDisposable(() => external.removeEventListener('abort', onAbort)));
    }
    // A client that leaves while we dial is a session that ends now, not after the handshake.
    const onClientGone = (error?: Error) =>
      this.end({
        kind: 'client-closed',
        message: describeCause('client-closed'),
        ...(error instanceof Error ? { error } : {}),
      });
    this.store.add(listen(this.client, 'end', () => onClientGone()));
    this.store.add(listen(this.client, 'close', () => onClientGone()));
    this.store.add(listen(this.client, 'error', (error: Error) => onClientGone(error)));
    if (this.client.destroyed) return onClientGone();

    try {
      const target = this.options.target;
      const port = target.port ?? 22;
      this.release = releaser(target.credentials);
      const credentials = await target.credentials.acquire(signal).catch((error: unknown) => {
        if (error instanceof RelayError) throw error;
        throw new RelayError('credentials-unavailable', `cannot obtain credentials: ${String(error)}`, {
          cause: error,
        });
      });
      if (this.endCause) return;

      const dialer =
        target.dialer ??
        (target.jump
          ? jumpDialer({
              jump: target.jump,
              host: target.host,
              port,
              handshakeTimeoutMs: this.handshakeTimeoutMs,
            })
          : tcpDialer({ host: target.host, port }));
      const dialed = await dialWithTimeout(dialer, signal, this.connectTimeoutMs, `${target.host}:${port}`);
      if (this.endCause) return closeDialed(dialed);
      this.store.add(toDisposable(() => closeDialed(dialed)));
      this.watchSocket(dialed);

      const ssh = await sshConnect({
        socket: dialed.socket,
        host: target.host,
        port,
        hostKey: target.hostKey,
        credentials,
        timeoutMs: this.handshakeTimeoutMs,
        signal,
      });
      this.store.add(toDisposable(() => ssh.end()));
      if (this.endCause) return;
      this.store.add(listen(ssh, 'close', () => this.onTargetGone()));

      const initialWindow = this.window ? openWithWindow(ssh, this.window.minBytes) : undefined;
      const channel = await this.openShell(ssh, signal).finally(() => initialWindow?.dispose());
      if (this.endCause) return;
      this.attach(ssh, channel, initialWindow?.());
    } catch (error) {
      this.end(causeFromError(error));
    }
  }

  private watchSocket(dialed: DialedConnection): void {
    // Errors surface through ssh2 as well; this listener only keeps an 'error' from being unhandled.
    this.store.add(listen(dialed.socket, 'error', () => {}));
  }

  private openShell(ssh: Client, signal: AbortSignal): Promise<ClientChannel> {
    const window: PseudoTtyOptions = { cols: this.pty.cols, rows: this.pty.rows, term: this.pty.term };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RelayError('connect-failed', 'the target did not open a shell in time')),
        this.handshakeTimeoutMs,
      );
      const onAbort = () => reject(new RelayError('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const callback = (error: Error | undefined, channel: ClientChannel) => {
        done();
        if (error) {
          reject(
            new RelayError('connect-failed', `the target refused a shell: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        if (signal.aborted) {
          channel.close();
          return;
        }
        resolve(channel);
      };
      try {
        if (this.pty.env) ssh.shell(window, { env: { ...this.pty.env } }, callback);
        else ssh.shell(window, callback);
      } catch (error) {
        done();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private attach(ssh: Client, channel: ClientChannel, initialWindow: InitialWindow | undefined): void {
    this.channel = channel;
    limitReadBuffer(channel, this.options.channelBufferBytes);
    const window = this.window && adaptiveSshWindow(channel, this.window, this.clock, initialWindow);
    if (window) this.store.add(window);
    this.store.add(toDisposable(() => channel.close()));
    const hooks = this.options.hooks ?? {};

    const watch = new Liveness(
      this.liveness,
      {
        ...(this.options.clientProbe ? { client: this.options.clientProbe } : {}),
        ...(this.options.targetProbe !== false
          ? {
              target: (done: (alive: boolean) => void) =>
                (this.options.targetProbe || globalRequestProbe)(ssh, done),
            }
          : {}),
      },
      this.clock,
      (verdict) => this.end({ kind: verdict, message: describeCause(verdict) }),
    );
    this.store.add(watch);

    const output: Pump = pump(channel, this.client, {
      onBytes: (n) => {
        watch.touch();
        hooks.onOutputBytes?.(n);
      },
      onPause: () => hooks.onOutputPause?.(),
      ...(window ? { onWritten: window.consumed } : {}),
    });
    // A PTY merges stderr into stdout, but a stream nobody reads would stall the channel: relay it too.
    const errors = pump(channel.stderr, this.client, {
      onBytes: () => watch.touch(),
      ...(window ? { onWritten: window.consumed } : {}),
    });
    const input = pump(this.client, channel, {
      onBytes: (n) => {
        watch.touch();
        hooks.onInputBytes?.(n);
      },
    });
    this.store.add(output);
    this.store.add(errors);
    this.store.add(input);
    this.store.add(listen(channel, 'error', () => {}));
    this.store.add(listen(channel.stderr, 'error', () => {}));
    this.store.add(
      listen(channel, 'exit', (code: number | null, signal?: string) => {
        // ssh2 reports 'SIGKILL'; the SSH protocol's name (and ours) is 'KILL'.
        const name = typeof signal === 'string' ? signal.replace(/^SIG/, '') : null;
        this.exit = { code: typeof code === 'number' ? code : null, signal: name };
      }),
    );
    // ssh2 emits 'close' only after the channel's readable side has ended, i.e. after every byte of output
    // was read; waiting for the pumps' flush delivers it all to the client before the cause.
    this.store.add(
      listen(channel, 'close', () => {
        void Promise.all([output.flushed(), errors.flushed()]).then(() => this.onTargetGone());
      }),
    );

    this.currentState = 'open';
    this.readyEmitter.fire();
  }

  /** The channel or the whole connection closed: an exit if the shell reported one, else a lost target. */
  private onTargetGone(): void {
    const exit = this.exit;
    if (exit) {
      this.end({
        kind: 'exit',
        exitCode: exit.code,
        exitSignal: exit.signal,
        message: exitMessage(exit.code, exit.signal),
      });
    } else {
      this.end({ kind: 'target-closed', message: describeCause('target-closed') });
    }
  }

  private end(cause: EndCause): void {
    if (this.endCause) return;
    this.endCause = cause;
    this.currentState = 'ended';
    this.controller.abort(new RelayError('aborted'));
    this.store.dispose();
    this.channel = undefined;
    this.release?.();
    this.readyEmitter.dispose();
    this.endEmitter.fire(cause);
    this.endEmitter.dispose();
    this.resolveEnded(cause);
  }
}

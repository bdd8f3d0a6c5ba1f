// The SSH window the relay grants for a channel's output, sized from how fast the client really consumes.
// Bytes between the remote program and the client's consumer are bounded by one window: the remote may
// only send what was granted, and a grant is made only as earlier bytes are consumed downstream. The
// window follows the measured drain rate × round trip, within [minBytes, maxBytes], so a slow browser
// holds little in flight (Ctrl+C answers fast) and a fast client on a long link still gets full speed.
//
// Two parts: WindowController, pure bookkeeping driven by two events ("n bytes received from the channel",
// "n bytes consumed downstream") that any source can feed — the output pump today, a replay log later; and
// adaptiveSshWindow(), which takes window adjustment over from ssh2 for one channel.
//
// Why drive ssh2 from here rather than patch it: ssh2 1.17 keeps its window in module constants
// (lib/Channel.js MAX_WINDOW = 2 MiB, topped up when it falls to 1 MiB) with no option; a per-channel
// option would need a patch to carry across every ssh2 upgrade. Instead this module feature-detects the
// three internals it relies on — the channel's `incoming.window` number, `outgoing.id`, and the
// connection's `_protocol.channelWindowAdjust()` / `_protocol.session()` — and when any is missing it
// changes nothing, leaving ssh2's stock 2 MiB behaviour. It never drops, reorders or delays bytes that
// have arrived: it only decides when the remote may send more.
import type { Client, ClientChannel } from 'ssh2';
import type { Clock } from './clock.js';
import type { Disposable } from './lifecycle.js';

export interface SshWindowOptions {
  /** The smallest window granted, and the window a channel opens with. The default is 65536. */
  readonly minBytes: number;
  /** The largest window granted. The default is 2097152 (ssh2's own fixed window). */
  readonly maxBytes: number;
  /**
   * The window covers this many round trips at the measured drain rate. Grants go out in steps of half
   * the window, so 2 keeps one full round trip in flight. The default is 2.
   */
  readonly roundTrips: number;
  /** The drain rate is measured over periods of this length. The default is 100 ms. */
  readonly samplePeriodMs: number;
  /**
   * The window is at least what the client drains in this long. A fast client is then never held back by
   * a round trip that the measure underestimates (sshd scheduled late on a busy machine), and what the
   * window adds to Ctrl+C stays this long at the client's own pace: a browser parsing 2.4 MB/s keeps the
   * minimum window. 0 sizes the window from the round trip alone. The default is 25 ms.
   */
  readonly drainBudgetMs: number;
}

export const DEFAULT_SSH_WINDOW: SshWindowOptions = {
  minBytes: 65_536,
  maxBytes: 2_097_152,
  roundTrips: 2,
  samplePeriodMs: 100,
  drainBudgetMs: 25,
};

/** SSH windows are uint32; anything near that would also defeat the point of a bound. */
const MAX_WINDOW_LIMIT = 2 ** 30;
/** ssh2 never opens a channel with a window above this, and tops up only below half of it. */
const SSH2_STOCK_WINDOW = 2 * 1024 * 1024;
/** A remote with less than this left to send is waiting for us: the next grant times a round trip. */
const STARVED_BYTES = 4096;

export function validateSshWindow(options: SshWindowOptions): void {
  const { minBytes, maxBytes, roundTrips, samplePeriodMs, drainBudgetMs } = options;
  if (!Number.isInteger(minBytes) || minBytes < 4096 || minBytes > SSH2_STOCK_WINDOW / 2) {
    throw new RangeError(`window.minBytes must be an integer from 4096 to 1048576, got ${minBytes}`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes < minBytes || maxBytes > MAX_WINDOW_LIMIT) {
    throw new RangeError(
      `window.maxBytes must be an integer from minBytes to ${MAX_WINDOW_LIMIT}, got ${maxBytes}`,
    );
  }
  if (!Number.isFinite(roundTrips) || roundTrips < 1) {
    throw new RangeError(`window.roundTrips must be a number >= 1, got ${roundTrips}`);
  }
  if (!Number.isFinite(samplePeriodMs) || samplePeriodMs <= 0) {
    throw new RangeError(`window.samplePeriodMs must be a number > 0, got ${samplePeriodMs}`);
  }
  if (!Number.isFinite(drainBudgetMs) || drainBudgetMs < 0) {
    throw new RangeError(`window.drainBudgetMs must be a number >= 0, got ${drainBudgetMs}`);
  }
}

/**
 * The window's bookkeeping. `outstanding` is every byte granted and not yet consumed downstream: what the
 * remote may still send plus what sits in buffers between here and the consumer. Grants keep it within the
 * window, in steps of at least half the window.
 */
export class WindowController {
  private window: number;
  /** Granted to the remote and not yet received. */
  private remote: number;
  /** Granted and not yet consumed (remote + received-not-consumed). */
  private held: number;
  private rttMs: number | undefined;
  private rttVarMs = 0;
  private grantedAt: number | undefined;
  /** Bytes still to arrive from before the timed grant: the round trip ends with the first byte after. */
  private beforeGrant = 0;
  private periodStart: number;
  private periodBytes = 0;
  private periodLimited = false;
  private disposed = false;

  constructor(
    private readonly options: SshWindowOptions,
    private readonly clock: Clock,
    private readonly grant: (bytes: number) => void,
    initial: { remote: number; buffered: number },
  ) {
    validateSshWindow(options);
    this.window = options.minBytes;
    this.remote = initial.remote;
    this.held = initial.remote + initial.buffered;
    this.periodStart = clock.now();
  }

  /** The current window. */
  get windowBytes(): number {
    return this.window;
  }

  /** Granted and not yet consumed downstream: the bound on bytes in flight. */
  get outstandingBytes(): number {
    return this.held;
  }

  /** The smoothed round trip from a grant to the remote's next bytes, if measured. */
  get roundTripMs(): number | undefined {
    return this.rttMs;
  }

  /** `bytes` arrived from the remote. */
  received(bytes: number): void {
    this.remote = Math.max(0, this.remote - bytes);
    if (this.grantedAt !== undefined) {
      this.beforeGrant -= bytes;
      if (this.beforeGrant >= 0) return;
      const sample = Math.max(0, this.clock.now() - this.grantedAt);
      // As TCP estimates its retransmit timeout (RFC 6298): a smoothed mean and mean deviation, so that
      // a round trip that is now and then long (a busy machine scheduling sshd late) is covered too.
      if (this.rttMs === undefined) {
        this.rttMs = sample;
        this.rttVarMs = sample / 2;
      } else {
        this.rttVarMs = this.rttVarMs * 0.75 + Math.abs(this.rttMs - sample) * 0.25;
        this.rttMs = this.rttMs * 0.875 + sample * 0.125;
      }
      this.grantedAt = undefined;
    }
  }

  /** `bytes` were consumed downstream (the client took them): room for the remote to send more. */
  consumed(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    this.periodBytes += bytes;
    this.measure();
    this.maybeGrant();
  }

  dispose(): void {
    this.disposed = true;
  }

  private measure(): void {
    const now = this.clock.now();
    const elapsed = now - this.periodStart;
    if (elapsed < this.options.samplePeriodMs) return;
    // Only a period that pressed against the window says how large it should be; an idle or
    // source-limited one leaves it as it is.
    if (this.periodLimited) {
      const rate = this.periodBytes / elapsed;
      // Until a grant has been timed (the remote never ran dry), the drain budget alone sizes it.
      const roundTrips =
        this.rttMs === undefined ? 0 : Math.max(this.rttMs + 4 * this.rttVarMs, 1) * this.options.roundTrips;
      const wanted = rate * Math.max(roundTrips, this.options.drainBudgetMs);
      this.window = Math.round(Math.min(this.options.maxBytes, Math.max(this.options.minBytes, wanted)));
    }
    this.periodStart = now;
    this.periodBytes = 0;
    this.periodLimited = false;
  }

  private maybeGrant(): void {
    if (this.disposed) return;
    const room = this.window - this.held;
    // The remote has used at least half its window: the window is what paces it, so this period's drain
    // rate says how large the window should be (a remote that produces slowly never gets here).
    if (this.remote <= this.window / 2) this.periodLimited = true;
    if (room < this.window / 2) return;
    if (this.remote < STARVED_BYTES) {
      if (this.grantedAt === undefined) {
        this.grantedAt = this.clock.now();
        this.beforeGrant = this.remote;
      }
    }
    this.remote += room;
    this.held += room;
    this.grant(room);
  }
}

/** What this module touches inside ssh2, looked up and checked rather than assumed. */
interface Ssh2Protocol {
  session?: (channel: number, window: number, packetSize: number) => unknown;
  channelWindowAdjust?: (channel: number, amount: number) => unknown;
}
interface Ssh2ChannelInternals {
  incoming?: { window?: unknown };
  outgoing?: { id?: unknown };
  _client?: { _protocol?: Ssh2Protocol };
}

function protocolOf(ssh: Client): Ssh2Protocol | undefined {
  const protocol = (ssh as unknown as { _protocol?: Ssh2Protocol })._protocol;
  if (!protocol || typeof protocol.channelWindowAdjust !== 'function') return undefined;
  return protocol;
}

/** What the next channel opened on a connection was really granted, when openWithWindow() changed it. */
export interface InitialWindow {
  /** What ssh2 asked for (and believes it granted). */
  readonly stock: number;
  /** What the remote was really granted. */
  readonly granted: number;
}

/**
 * Makes the next session channel opened on `ssh` open with `bytes` of window instead of ssh2's 2 MiB, by
 * wrapping this connection's `_protocol.session()` for one call. Returns a getter for what was granted
 * (undefined if nothing was changed: unknown internals, or a window ssh2 would not top up in time).
 */
export function openWithWindow(ssh: Client, bytes: number): (() => InitialWindow | undefined) & Disposable {
  const protocol = protocolOf(ssh);
  let result: InitialWindow | undefined;
  const original = protocol?.session;
  const restore = () => {
    if (protocol && original && protocol.session !== original) protocol.session = original;
  };
  if (protocol && typeof original === 'function') {
    protocol.session = function (this: unknown, channel: number, window: number, packetSize: number) {
      restore();
      // ssh2 tops its window up once it falls to half: a smaller start is safe only below that.
      if (typeof window === 'number' && bytes <= window / 2) {
        result = { stock: window, granted: bytes };
        return original.call(this, channel, bytes, packetSize);
      }
      return original.call(this, channel, window, packetSize);
    };
  }
  const get = () => result;
  return Object.assign(get, { dispose: restore });
}

/** The value ssh2 is shown for `incoming.window`: never at or below its top-up threshold. */
const SHOWN_TO_SSH2 = 2 ** 32;

export interface SshWindow extends Disposable {
  /** `bytes` of the channel's output (stdout or stderr) were consumed downstream. */
  readonly consumed: (bytes: number) => void;
  readonly controller: WindowController;
}

/**
 * Takes window adjustment over from ssh2 for `channel`. ssh2 decrements `incoming.window` as data arrives
 * and tops it up to 2 MiB when it falls to half; here that field becomes an accessor that reports a value
 * ssh2 never tops up, passes each decrement to the controller as bytes received, and the controller's
 * grants go out as SSH_MSG_CHANNEL_WINDOW_ADJUST. Returns undefined (ssh2 keeps its stock behaviour) when
 * ssh2's internals are not what this expects; `initial` undoes a smaller opening window in that case.
 */
export function adaptiveSshWindow(
  channel: ClientChannel,
  options: SshWindowOptions,
  clock: Clock,
  initial?: InitialWindow,
): SshWindow | undefined {
  validateSshWindow(options);
  const internals = channel as unknown as Ssh2ChannelInternals;
  const incoming = internals.incoming;
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  const adjust = protocol?.channelWindowAdjust;
  const descriptor = incoming ? Object.getOwnPropertyDescriptor(incoming, 'window') : undefined;
  if (
    !incoming ||
    typeof id !== 'number' ||
    typeof adjust !== 'function' ||
    !descriptor ||
    !('value' in descriptor) ||
    typeof descriptor.value !== 'number' ||
    !descriptor.configurable
  ) {
    // Stock behaviour. If the channel opened with less than ssh2 believes, give the remote the rest now,
    // or ssh2 would wait for bytes that can never come before topping up.
    if (initial && typeof id === 'number' && typeof adjust === 'function') {
      adjust.call(protocol, id, initial.stock - initial.granted);
    }
    return undefined;
  }
  const believed = descriptor.value;
  const remote = initial ? Math.max(0, believed - (initial.stock - initial.granted)) : believed;
  const buffered = channel.readableLength + (channel.stderr?.readableLength ?? 0);
  const controller = new WindowController(
    options,
    clock,
    (bytes) => {
      if (internals.outgoing && (internals.outgoing as { state?: unknown }).state !== 'closed') {
        adjust.call(protocol, id, bytes);
      }
    },
    { remote, buffered },
  );
  Object.defineProperty(incoming, 'window', {
    configurable: true,
    enumerable: true,
    get: () => SHOWN_TO_SSH2,
    set: (value: number) => {
      // ssh2 only ever writes `window - data.length` here (its own top-up computes nothing to add).
      const received = SHOWN_TO_SSH2 - value;
      if (received > 0) controller.received(received);
    },
  });
  return {
    controller,
    consumed: (bytes) => controller.consumed(bytes),
    dispose: () => controller.dispose(),
  };
}

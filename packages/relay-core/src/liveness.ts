// The watch loop: one timer per session that, in one pass, enforces the absolute lifetime and the idle
// timeout and probes both ends (the transport's client probe, an SSH global request to the target).
// Activity is a timestamp written by the pumps; no timer is started per chunk. Time comes from a Clock
// so tests can drive the loop by hand.
import type { Clock } from './clock.js';
import { DisposableStore, toDisposable, type Disposable } from './lifecycle.js';

export interface LivenessOptions {
  /** How often both ends are probed. The default is 30000 ms. */
  readonly intervalMs: number;
  /** How long an SSH probe may wait for its reply. The default is 10000 ms. */
  readonly probeTimeoutMs: number;
  /** A session with neither input nor output for this long ends. 0 disables it. The default is 1800000 ms (30 min). */
  readonly idleTimeoutMs: number;
  /** A session ends this long after it opened, busy or not. 0 disables it. The default is 43200000 ms (12 h). */
  readonly maxLifetimeMs: number;
}

export const DEFAULT_LIVENESS: LivenessOptions = {
  intervalMs: 30_000,
  probeTimeoutMs: 10_000,
  idleTimeoutMs: 30 * 60_000,
  maxLifetimeMs: 12 * 60 * 60_000,
};

export type LivenessVerdict = 'idle-timeout' | 'max-lifetime' | 'client-unresponsive' | 'target-unresponsive';

export interface LivenessProbes {
  /**
   * The transport's check of the client: returns false when the client has not answered the previous
   * probe (it is gone); otherwise sends the next probe and returns true. WebSocket ping/pong fits this.
   */
  readonly client?: () => boolean;
  /** Sends one probe to the target and calls `done` once: true on any reply, false on failure. */
  readonly target?: (done: (alive: boolean) => void) => void;
}

export function validateLiveness(options: LivenessOptions): void {
  for (const key of ['intervalMs', 'probeTimeoutMs', 'idleTimeoutMs', 'maxLifetimeMs'] as const) {
    const value = options[key];
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`liveness.${key} must be a number >= 0`);
  }
  if (options.intervalMs <= 0) throw new RangeError('liveness.intervalMs must be > 0');
  if (options.probeTimeoutMs <= 0) throw new RangeError('liveness.probeTimeoutMs must be > 0');
}

export class Liveness implements Disposable {
  private readonly store = new DisposableStore();
  private tick: Disposable | undefined;
  private probeTimer: Disposable | undefined;
  private probing = false;
  private readonly startedAt: number;
  private lastActivity: number;
  private nextProbeAt: number;

  constructor(
    private readonly options: LivenessOptions,
    private readonly probes: LivenessProbes,
    private readonly clock: Clock,
    private readonly onVerdict: (verdict: LivenessVerdict) => void,
  ) {
    validateLiveness(options);
    this.startedAt = clock.now();
    this.lastActivity = this.startedAt;
    this.nextProbeAt = this.startedAt + options.intervalMs;
    this.store.add(
      toDisposable(() => {
        this.tick?.dispose();
        this.probeTimer?.dispose();
      }),
    );
    this.schedule();
  }

  /** Marks input or output activity. Cheap: called for every chunk. */
  touch(): void {
    this.lastActivity = this.clock.now();
  }

  dispose(): void {
    this.store.dispose();
  }

  private schedule(): void {
    if (this.store.isDisposed) return;
    const { idleTimeoutMs, maxLifetimeMs } = this.options;
    let at = this.nextProbeAt;
    if (maxLifetimeMs > 0) at = Math.min(at, this.startedAt + maxLifetimeMs);
    if (idleTimeoutMs > 0) at = Math.min(at, this.lastActivity + idleTimeoutMs);
    this.tick = this.clock.setTimeout(() => this.check(), Math.max(0, at - this.clock.now()));
  }

  private verdict(verdict: LivenessVerdict): void {
    if (this.store.isDisposed) return;
    this.dispose();
    this.onVerdict(verdict);
  }

  private check(): void {
    const now = this.clock.now();
    const { idleTimeoutMs, maxLifetimeMs, intervalMs } = this.options;
    if (maxLifetimeMs > 0 && now - this.startedAt >= maxLifetimeMs) return this.verdict('max-lifetime');
    if (idleTimeoutMs > 0 && now - this.lastActivity >= idleTimeoutMs) return this.verdict('idle-timeout');
    if (now >= this.nextProbeAt) {
      this.nextProbeAt = now + intervalMs;
      if (this.probes.client && !this.probes.client()) return this.verdict('client-unresponsive');
      this.probeTarget();
    }
    this.schedule();
  }

  private probeTarget(): void {
    // A probe still waiting for its reply is not doubled up; its own timeout decides.
    if (!this.probes.target || this.probing) return;
    this.probing = true;
    let answered = false;
    const done = (alive: boolean) => {
      if (answered) return;
      answered = true;
      this.probing = false;
      this.probeTimer?.dispose();
      this.probeTimer = undefined;
      if (!alive) this.verdict('target-unresponsive');
    };
    this.probeTimer = this.clock.setTimeout(() => done(false), this.options.probeTimeoutMs);
    this.probes.target(done);
  }
}

// When an attached client may be sent more output: while its queue (batched but unsent, plus what ws
// still buffers) is under the cap, and — for clients that opt in with `flow=ack` — while the output it
// has not yet acknowledged is under the window. The ack window has hysteresis: it closes at the window
// and opens again below half of it. Acks beyond what was sent are clamped, so a confused or hostile
// client cannot go negative.

export class OutputGate {
  private sent = 0;
  private acknowledged = 0;
  private windowClosed = false;

  constructor(
    private readonly queueCapBytes: number,
    /** With `flow=ack`: the ack window; undefined for clients without acks. */
    readonly ackWindowBytes: number | undefined,
  ) {}

  /** Whether the client acknowledges output. */
  get acks(): boolean {
    return this.ackWindowBytes !== undefined;
  }

  /** Output sent and not yet acknowledged. */
  get unacked(): number {
    return this.sent - this.acknowledged;
  }

  /** Total bytes acknowledged on this connection. */
  get acked(): number {
    return this.acknowledged;
  }

  /** Whether more output may be sent now, given what is queued for the socket. */
  open(queuedBytes: number): boolean {
    if (queuedBytes >= this.queueCapBytes) return false;
    const window = this.ackWindowBytes;
    if (window === undefined) return true;
    if (this.windowClosed && this.unacked <= window / 2) this.windowClosed = false;
    if (!this.windowClosed && this.unacked >= window) this.windowClosed = true;
    return !this.windowClosed;
  }

  onSent(bytes: number): void {
    this.sent += bytes;
  }

  onAck(bytes: number): void {
    this.acknowledged = Math.min(this.sent, this.acknowledged + bytes);
  }
}

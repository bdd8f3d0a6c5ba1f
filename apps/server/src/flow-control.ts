// End-to-end flow control for clients that opt in with `flow=ack`: the browser acknowledges output as its
// terminal parses it, and the server stops taking output from the SSH channel while too much is
// unacknowledged. Hysteresis: it closes at the window and opens again below half of it.

export class AckWindow {
  private sent = 0;
  private acked = 0;
  private closed = false;

  constructor(readonly windowBytes: number) {}

  get unacked(): number {
    return this.sent - this.acked;
  }

  /** Whether more output may be taken now. */
  get open(): boolean {
    if (this.closed && this.unacked <= this.windowBytes / 2) this.closed = false;
    if (!this.closed && this.unacked >= this.windowBytes) this.closed = true;
    return !this.closed;
  }

  onSent(bytes: number): void {
    this.sent += bytes;
  }

  /** Records an ack; acks beyond what was sent are clamped (a confused or hostile client cannot go negative). */
  onAck(bytes: number): void {
    this.acked = Math.min(this.sent, this.acked + bytes);
  }
}

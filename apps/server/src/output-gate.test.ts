import { describe, expect, it } from 'vitest';
import { OutputGate } from './output-gate.js';

describe('OutputGate', () => {
  it('closes when the socket queue reaches the cap', () => {
    const gate = new OutputGate(1000, undefined);
    expect(gate.open(999)).toBe(true);
    expect(gate.open(1000)).toBe(false);
  });

  it('closes the ack window at the window and opens it below half', () => {
    const gate = new OutputGate(1_000_000, 100);
    gate.onSent(100);
    expect(gate.open(0)).toBe(false);
    gate.onAck(40);
    expect(gate.open(0)).toBe(false);
    gate.onAck(10);
    expect(gate.open(0)).toBe(true);
  });

  it('clamps acks beyond what was sent', () => {
    const gate = new OutputGate(1_000_000, 100);
    gate.onSent(10);
    gate.onAck(1_000_000);
    expect(gate.unacked).toBe(0);
    expect(gate.acked).toBe(10);
  });
});

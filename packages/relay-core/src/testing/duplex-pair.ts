// An in-memory pair of connected duplex streams with real backpressure: a write on one side is pushed to
// the other, and its callback waits until that side is read. Used to stand in for a transport in tests.
import { Duplex } from 'node:stream';

export interface DuplexPairOptions {
  /** Buffer size of each readable side. The default is 64 KiB. */
  readonly highWaterMark?: number;
}

export function duplexPair(options: DuplexPairOptions = {}): [Duplex, Duplex] {
  const highWaterMark = options.highWaterMark ?? 64 * 1024;
  const pending: [(() => void) | undefined, (() => void) | undefined] = [undefined, undefined];
  const sides: Duplex[] = [];
  const make = (self: 0 | 1): Duplex =>
    new Duplex({
      highWaterMark,
      read() {
        const callback = pending[self];
        pending[self] = undefined;
        callback?.();
      },
      write(chunk: Buffer, _encoding, callback) {
        const peer = sides[1 - self] as Duplex;
        if (peer.push(chunk)) callback();
        else pending[(1 - self) as 0 | 1] = callback;
      },
      final(callback) {
        (sides[1 - self] as Duplex).push(null);
        callback();
      },
      destroy(error, callback) {
        const peer = sides[1 - self] as Duplex;
        if (!peer.destroyed) peer.destroy();
        callback(error);
      },
    });
  sides.push(make(0), make(1));
  return [sides[0] as Duplex, sides[1] as Duplex];
}

// An in-memory pair of connected duplex streams that behaves like a socket: a write on one side arrives on
// the other on a later tick (never inside the writer's call stack), and its callback waits until that
// side is read, so backpressure is real. It carries SSH between the relay and an
// in-process server (no socket at all), and stands in for a transport in tests.
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
        const slot = (1 - self) as 0 | 1;
        // Deliver on a later tick, as a socket does. Delivering inside write() would let the reader answer
        // inside the writer's own call stack: ssh2 keeps its send window in a local variable while it
        // writes, and an SSH window adjust arriving re-entrantly that way was overwritten and lost.
        process.nextTick(() => {
          const peer = sides[1 - self] as Duplex;
          if (peer.destroyed) return callback();
          pending[slot] = callback;
          if (peer.push(chunk) && pending[slot] === callback) {
            pending[slot] = undefined;
            callback();
          }
        });
      },
      final(callback) {
        process.nextTick(() => {
          (sides[1 - self] as Duplex).push(null);
          callback();
        });
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

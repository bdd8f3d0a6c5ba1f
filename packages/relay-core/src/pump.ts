// One direction of the relay: bytes from a readable to a writable with backpressure. When the writable
// says it is full, the readable is paused until 'drain' — for the SSH channel that stops its window
// adjustments, so the remote program blocks instead of any buffer here growing. Nothing is dropped,
// duplicated or reordered: chunks are written in arrival order, each exactly once.
import type { Readable, Writable } from 'node:stream';
import { DisposableStore, listen, toDisposable, type Disposable } from './lifecycle.js';

export interface PumpHooks {
  /** Called with each chunk's size; used to stamp activity and count bytes. Must be cheap. */
  onBytes?(bytes: number): void;
  /** Called each time the writable pushes back and the readable is paused. */
  onPause?(): void;
  /** Called with each chunk's size once the writable accepted it (its write callback ran). */
  onWritten?(bytes: number): void;
}

export interface Pump extends Disposable {
  /** Resolves once every chunk written so far has been accepted by the writable (its callback ran). */
  flushed(): Promise<void>;
}

export function pump(src: Readable, dst: Writable, hooks: PumpHooks = {}): Pump {
  const store = new DisposableStore();
  let pending = 0;
  let waiters: (() => void)[] = [];
  let waitingDrain = false;

  const settle = () => {
    if (pending > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  const onWritten = () => {
    pending--;
    settle();
  };
  const onDrain = () => {
    waitingDrain = false;
    if (!store.isDisposed) src.resume();
  };

  store.add(
    listen(src, 'data', (chunk: Buffer) => {
      hooks.onBytes?.(chunk.length);
      pending++;
      const size = chunk.length;
      const callback = hooks.onWritten
        ? () => {
            hooks.onWritten?.(size);
            onWritten();
          }
        : onWritten;
      if (!dst.write(chunk, callback) && !waitingDrain) {
        waitingDrain = true;
        src.pause();
        hooks.onPause?.();
        dst.once('drain', onDrain);
      }
    }),
  );
  store.add(toDisposable(() => dst.removeListener('drain', onDrain)));
  src.resume();

  return {
    flushed: () =>
      pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    dispose: () => store.dispose(),
  };
}

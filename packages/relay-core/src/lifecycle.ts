// Disposables: anything that subscribes, starts a timer or opens a socket hands back a disposer, and an
// owner tears down by disposing one store. Disposal is idempotent and never throws past the store.

export interface Disposable {
  dispose(): void;
}

export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/** Subscribes `listener` to `event` on `emitter` and returns the unsubscription. */
export function listen<A extends unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  listener: (...args: A) => void,
): Disposable {
  const wrapped = listener as (...args: unknown[]) => void;
  emitter.on(event, wrapped);
  return toDisposable(() => emitter.removeListener(event, wrapped));
}

export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Adds `item`; if the store is already disposed, disposes it at once so nothing outlives its owner. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) safeDispose(item);
    else this.items.push(item);
    return item;
  }

  /** Disposes everything in reverse order of addition. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    while (this.items.length > 0) safeDispose(this.items.pop() as Disposable);
  }
}

function safeDispose(item: Disposable): void {
  try {
    item.dispose();
  } catch {
    // Teardown must reach every item; a failing disposer must not leave the rest behind.
  }
}

/** A typed event: `event(listener)` subscribes and returns the unsubscription (xterm.js style). */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }

  dispose(): void {
    this.listeners.clear();
  }
}

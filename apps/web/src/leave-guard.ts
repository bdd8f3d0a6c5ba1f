// Asks before the tab closes, reloads or navigates away while a console is open, as ttyd does: a stray
// Ctrl+W must not end someone's shell. The browser shows its own words; a page cannot choose them.
import type { IDisposable } from '@xterm/xterm';

/** Guards `window` (or any event target) while `isOpen()` says a console is open. Dispose to stop. */
export function guardLeaving(target: EventTarget, isOpen: () => boolean): IDisposable {
  const onBeforeUnload = (event: Event) => {
    if (!isOpen()) return;
    // Every current engine asks on preventDefault(); the legacy returnValue string is no longer needed.
    event.preventDefault();
  };
  target.addEventListener('beforeunload', onBeforeUnload);
  return { dispose: () => target.removeEventListener('beforeunload', onBeforeUnload) };
}

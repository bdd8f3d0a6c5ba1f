import { describe, expect, it } from 'vitest';
import { guardLeaving } from './leave-guard.js';

function leave(target: EventTarget): Event {
  const event = new Event('beforeunload', { cancelable: true });
  target.dispatchEvent(event);
  return event;
}

describe('guardLeaving', () => {
  it('asks before leaving only while a console is open, and stops once disposed', () => {
    const page = new EventTarget();
    let open = false;
    const guard = guardLeaving(page, () => open);
    expect(leave(page).defaultPrevented).toBe(false);
    open = true;
    expect(leave(page).defaultPrevented).toBe(true);
    guard.dispose();
    expect(leave(page).defaultPrevented).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { SessionStore } from './session-store.js';

/** sessionStorage's contract, in memory (Node has no Web Storage); `limit` makes it run full. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  constructor(private readonly limit = Infinity) {}
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    if (value.length > this.limit) throw new DOMException('full', 'QuotaExceededError');
    this.items.set(key, value);
  }
}

const point = { session: 's1', resume: 'tok', offset: 42 };
const snapshot = { session: 's1', offset: 40, cols: 80, rows: 24, data: 'hello\r\n' };

describe('SessionStore', () => {
  it('keeps the resume point and the snapshot per target', () => {
    const storage = new MemoryStorage();
    const vm1 = new SessionStore(storage, 'vm1');
    vm1.saveResume(point);
    expect(vm1.saveSnapshot(snapshot)).toBe(true);
    expect(new SessionStore(storage, 'vm1').loadResume()).toEqual(point);
    expect(new SessionStore(storage, 'vm1').loadSnapshot('s1')).toEqual(snapshot);
    expect(new SessionStore(storage, 'vm2').loadResume()).toBeUndefined();
  });

  it('ignores a snapshot of another session, so an old screen never shows over a new one', () => {
    const store = new SessionStore(new MemoryStorage(), 'vm1');
    store.saveSnapshot(snapshot);
    expect(store.loadSnapshot('s2')).toBeUndefined();
  });

  it('reads garbage and half-written records as nothing kept', () => {
    const storage = new MemoryStorage();
    const store = new SessionStore(storage, 'vm1');
    storage.setItem('termrelay:resume:vm1', '{not json');
    expect(store.loadResume()).toBeUndefined();
    storage.setItem('termrelay:resume:vm1', JSON.stringify({ ...point, offset: -1 }));
    expect(store.loadResume()).toBeUndefined();
    storage.setItem('termrelay:resume:vm1', JSON.stringify({ session: 's1', offset: 1 }));
    expect(store.loadResume()).toBeUndefined();
    storage.setItem('termrelay:snapshot:vm1', JSON.stringify({ ...snapshot, cols: 0 }));
    expect(store.loadSnapshot('s1')).toBeUndefined();
    storage.setItem('termrelay:snapshot:vm1', 'null');
    expect(store.loadSnapshot('s1')).toBeUndefined();
  });

  it('says so when storage is full, and drops the older snapshot rather than keep one that misleads', () => {
    const storage = new MemoryStorage(200);
    const store = new SessionStore(storage, 'vm1');
    expect(store.saveSnapshot(snapshot)).toBe(true);
    expect(store.saveSnapshot({ ...snapshot, offset: 90, data: 'x'.repeat(500) })).toBe(false);
    expect(store.loadSnapshot('s1')).toBeUndefined();
  });

  it('works without storage at all (a browser that refuses it)', () => {
    const store = new SessionStore(undefined, 'vm1');
    store.saveResume(point);
    expect(store.saveSnapshot(snapshot)).toBe(false);
    expect(store.loadResume()).toBeUndefined();
    store.clear();
  });

  it('forgets both on clear', () => {
    const store = new SessionStore(new MemoryStorage(), 'vm1');
    store.saveResume(point);
    store.saveSnapshot(snapshot);
    store.clear();
    expect(store.loadResume()).toBeUndefined();
    expect(store.loadSnapshot('s1')).toBeUndefined();
  });
});

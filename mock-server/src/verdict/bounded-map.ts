/**
 * A Map that holds at most `cap` entries, forgetting the least recently seen one when a new one
 * comes, and counting how many it forgot, so a report can say plainly what it could not see.
 *
 * A JavaScript Map keeps insertion order, so "seen" moves an entry to the end (delete and set) and the
 * first entry is the least recently seen: both O(1). The order is part of the state: it is kept by
 * `entries()` and restored by `from()`, so a state read back from JSON forgets what the original would.
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  evicted = 0;

  constructor(public cap: number) {}

  get size(): number {
    return this.map.size;
  }

  /** The entry, without marking it seen. */
  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  /** The entry, marked seen. */
  touch(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** Sets the entry as the most recently seen, forgetting the least recently seen ones beyond the cap. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.trim();
  }

  /** Applies a (possibly lowered) cap. */
  trim(): void {
    while (this.map.size > this.cap) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.evicted++;
    }
  }

  /** Least recently seen first. */
  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  static from<V>(cap: number, entries: Iterable<[string, V]>, evicted: number): BoundedMap<V> {
    const out = new BoundedMap<V>(cap);
    for (const [k, v] of entries) out.map.set(k, v);
    out.evicted = evicted;
    out.trim();
    return out;
  }
}

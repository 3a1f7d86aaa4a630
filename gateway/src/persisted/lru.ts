/**
 * A bounded least-recently-used map (insertion order of a Map = recency): the APQ store of
 * development mode, and the rate limiter's in-memory client table. `get` refreshes an entry.
 */
export class BoundedLru<V> {
  private readonly entries = new Map<string, V>();
  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive whole number, received ${maxEntries}`);
  }
  get size(): number {
    return this.entries.size;
  }
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/**
 * A bounded LRU map for plaintext data keys (and which key a scope uses),
 * with an optional age limit so that a key destroyed by another process
 * stops being used here within `maxAgeMs`.
 *
 * Why an age on the process clock: this bounds how long memory may trust an
 * entry, it decides no deletion of stored data (the database clock rule in
 * DESIGN.md is about those).
 */
export class KeyCache<V> {
  readonly #entries = new Map<string, { value: V; at: number }>();
  readonly #max: number;
  readonly #maxAgeMs: number;

  /**
   * @param maxEntries at least 1 (default 10,000 — about 1 MB of keys and names).
   * @param maxAgeMs entries older than this are dropped on read; Infinity keeps them (default).
   */
  constructor(maxEntries = 10_000, maxAgeMs = Number.POSITIVE_INFINITY) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`key cache size must be a positive integer, not ${maxEntries}`);
    if (!(maxAgeMs > 0)) throw new RangeError(`key cache age must be positive, not ${maxAgeMs}`);
    this.#max = maxEntries;
    this.#maxAgeMs = maxAgeMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (performance.now() - e.at > this.#maxAgeMs) {
      this.#entries.delete(key);
      return undefined;
    }
    // Move to the end: Map iteration order is insertion order, so the first entry is the least recently used.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, at: performance.now() });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Removes every entry whose key satisfies `match`. */
  deleteWhere(match: (key: string, value: V) => boolean): number {
    let n = 0;
    for (const [k, e] of this.#entries) {
      if (match(k, e.value)) {
        this.#entries.delete(k);
        n++;
      }
    }
    return n;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

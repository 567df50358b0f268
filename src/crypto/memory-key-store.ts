import type { DataKeyStore, KeyState, StoredKey } from './data-key-store.ts';

/**
 * Wrapped data keys in process memory, for a runtime whose database is in
 * memory too (`memory: true`): both vanish together on close, so nothing is
 * written to disk. Same contract as FileKeyStore (exclusive create,
 * tombstones, issue records, ids never reused); a key in memory is never
 * lost, but an id a record names that this store never had reads as `lost`
 * once recorded ({@link recordIssued}).
 */
export class MemoryKeyStore implements DataKeyStore {
  readonly location = 'memory';
  readonly #keys = new Map<string, StoredKey | 'destroyed' | 'lost'>();

  async create(key: StoredKey): Promise<boolean> {
    if (this.#keys.has(key.keyId)) return false;
    this.#keys.set(key.keyId, key);
    return true;
  }

  async recordIssued(keyId: string): Promise<void> {
    if (!this.#keys.has(keyId)) this.#keys.set(keyId, 'lost');
  }

  async get(keyId: string): Promise<KeyState> {
    return this.#keys.get(keyId);
  }

  async replace(key: StoredKey): Promise<void> {
    const had = this.#keys.get(key.keyId);
    if (had === undefined || typeof had === 'string') return;
    this.#keys.set(key.keyId, key);
  }

  async destroy(keyId: string): Promise<boolean> {
    const had = this.#keys.get(keyId);
    this.#keys.set(keyId, 'destroyed');
    return had !== undefined && typeof had !== 'string';
  }

  async list(): Promise<{ readonly live: readonly string[]; readonly destroyed: readonly string[]; readonly lost: readonly string[] }> {
    const live: string[] = [];
    const destroyed: string[] = [];
    const lost: string[] = [];
    for (const [id, s] of this.#keys) (s === 'destroyed' ? destroyed : s === 'lost' ? lost : live).push(id);
    return { live, destroyed, lost };
  }

  where(keyId: string): string {
    return `${keyId} in memory`;
  }
}

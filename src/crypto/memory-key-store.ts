import type { DataKeyStore, KeyState, StoredKey } from './data-key-store.ts';

/**
 * Wrapped data keys in process memory, for a runtime whose database is in
 * memory too (`memory: true`): both vanish together on close, so nothing is
 * written to disk. Same contract as FileKeyStore (exclusive create,
 * tombstones, ids never reused).
 */
export class MemoryKeyStore implements DataKeyStore {
  readonly location = 'memory';
  readonly #keys = new Map<string, StoredKey | 'destroyed'>();

  async create(key: StoredKey): Promise<boolean> {
    if (this.#keys.has(key.keyId)) return false;
    this.#keys.set(key.keyId, key);
    return true;
  }

  async get(keyId: string): Promise<KeyState> {
    return this.#keys.get(keyId);
  }

  async replace(key: StoredKey): Promise<void> {
    if (this.#keys.get(key.keyId) === undefined || this.#keys.get(key.keyId) === 'destroyed') return;
    this.#keys.set(key.keyId, key);
  }

  async destroy(keyId: string): Promise<boolean> {
    const had = this.#keys.get(keyId);
    this.#keys.set(keyId, 'destroyed');
    return had !== undefined && had !== 'destroyed';
  }

  async list(): Promise<{ readonly live: readonly string[]; readonly destroyed: readonly string[] }> {
    const live: string[] = [];
    const destroyed: string[] = [];
    for (const [id, s] of this.#keys) (s === 'destroyed' ? destroyed : live).push(id);
    return { live, destroyed };
  }
}

import { randomBytes } from 'node:crypto';
import { ConfigError, KeyDestroyedError, KeyUnavailableError } from '../errors/index.ts';
import type { DataKeyStore, StoredKey } from './data-key-store.ts';
import { KeyCache } from './key-cache.ts';
import { KeyNames, NAMING_KEY_ID, keyIdOf, parseKeyId } from './key-names.ts';
import type { KeyProvider } from './key-provider.ts';
import { canonicalScope, checkScope, type KeyScope } from './scope.ts';

export interface KeyringOptions {
  /** Where wrapped data keys live (e.g. `await FileKeyStore.open(dir)`). */
  readonly store: DataKeyStore;
  /** Wraps and unwraps them (LocalKekProvider, KmsKeyProvider). */
  readonly provider: KeyProvider;
  /**
   * Providers that may still unwrap keys wrapped before a move to `provider`
   * (e.g. the local KEK while moving to KMS); matched by provider name.
   * New wrappings always use `provider`; `rewrapAll()` finishes the move.
   * @default []
   */
  readonly formerProviders?: readonly KeyProvider[];
  /** Plaintext keys kept in memory, least recently used evicted. @default 10_000 */
  readonly cacheSize?: number;
  /**
   * How long a cached key (and a scope's current key id) is trusted before
   * the store is asked again: bounds how long another process's destruction
   * or rotation goes unseen here. @default Infinity (one process owns the store, as embedded)
   */
  readonly cacheMaxAgeMs?: number;
  /** Clock for `createdAt` of new keys. @default () => new Date() */
  readonly now?: () => Date;
}

/** A scope's current data key. */
export interface ActiveKey {
  readonly keyId: string;
  readonly key: Buffer;
}

/**
 * Data keys per scope (tenant, session, subject): finds or creates a scope's
 * current key, reads any key by id, rotates, destroys, and rewraps all keys
 * under a new KEK.
 *
 * General notes: it owns which key a scope uses (the highest generation that
 * is live; when the highest was destroyed, a new generation is created on
 * next use; when it was lost — issued, then its key material gone without a
 * tombstone — use is refused until it is restored, rotated past or erased:
 * an id is never issued twice), the plaintext key cache, and creation races: in-process, every
 * operation on one scope runs after the previous one (a promise chain per
 * scope), so two first uses create one key; across processes, the store's
 * exclusive create decides and the loser reads the winner's key. It does
 * not own encryption of content ({@link Envelope}) nor key storage
 * (DataKeyStore) nor wrapping (KeyProvider).
 */
export class Keyring {
  readonly #store: DataKeyStore;
  readonly #provider: KeyProvider;
  readonly #former: readonly KeyProvider[];
  readonly #names: KeyNames;
  readonly #keys: KeyCache<Buffer>;
  readonly #active: KeyCache<string>;
  readonly #scopeNames: KeyCache<string>;
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #now: () => Date;

  private constructor(o: KeyringOptions, names: KeyNames) {
    this.#store = o.store;
    this.#provider = o.provider;
    this.#former = o.formerProviders ?? [];
    this.#names = names;
    this.#keys = new KeyCache<Buffer>(o.cacheSize ?? 10_000, o.cacheMaxAgeMs);
    this.#active = new KeyCache<string>(o.cacheSize ?? 10_000, o.cacheMaxAgeMs);
    // Names never change for a store (the naming key is never rotated), so no age limit.
    this.#scopeNames = new KeyCache<string>(o.cacheSize ?? 10_000);
    this.#now = o.now ?? (() => new Date());
  }

  /**
   * Opens a keyring over a store, creating the store's naming key on first
   * use (only while the store holds no other key: a new naming key would
   * give every scope new key ids).
   * @throws ConfigError when a local KEK does not unwrap the naming key (the
   *   wrong KEK), naming the key, the KEK and its source;
   *   KeyUnavailableError when the naming key is lost or destroyed, or a
   *   remote provider (KMS) fails.
   */
  static async open(options: KeyringOptions): Promise<Keyring> {
    const bootstrap = new Keyring(options, new KeyNames(Buffer.alloc(32)));
    const store = options.store;
    if ((await store.get(NAMING_KEY_ID)) === undefined) {
      const { live, destroyed, lost } = await store.list();
      // Not the naming key itself: another process may have just created it (then it is read below).
      const others = [...live, ...destroyed, ...lost].filter((id) => id !== NAMING_KEY_ID).length;
      if (others > 0) {
        throw new KeyUnavailableError(
          `the naming key '${NAMING_KEY_ID}' (${store.where(NAMING_KEY_ID)}) is missing, but ${store.location} holds ${others} other key${others > 1 ? 's' : ''}: ` +
            'restore its file from a backup; a new naming key would give every scope new key ids',
        );
      }
    }
    let naming: Buffer | 'destroyed';
    try {
      naming = await bootstrap.#getOrCreate(NAMING_KEY_ID);
    } catch (err) {
      // A local KEK that does not unwrap is the operator's setting, not an outage: exit 2, not a retry.
      if (err instanceof KeyUnavailableError && options.provider.name === 'local' && /does not unwrap|does not hold|key provider/.test(err.message)) {
        throw new ConfigError(`${err.message}: the key-encryption key given is not the one this key store's keys were wrapped with`, { cause: err });
      }
      throw err;
    }
    if (naming === 'destroyed') throw new KeyUnavailableError(`the naming key of ${options.store.location} was destroyed; this key store can no longer be used`);
    return new Keyring(options, new KeyNames(naming));
  }

  /** The key store's location (for messages). */
  get location(): string {
    return this.#store.location;
  }

  /** The name shared by every generation of the scope's keys (`t.…`, `s.….…`, `u.….…`). */
  scopeName(scope: KeyScope): string {
    // Naming costs two HMACs; the hot path asks for the same few scopes again and again.
    const canonical = canonicalScope(checkScope(scope)).toString('latin1');
    let name = this.#scopeNames.get(canonical);
    if (name === undefined) {
      name = this.#names.scopeName(scope);
      this.#scopeNames.set(canonical, name);
    }
    return name;
  }

  /**
   * The scope's current key, created on first use.
   * @throws KeyUnavailableError when the store or the KEK fails.
   */
  async activeKey(scope: KeyScope): Promise<ActiveKey> {
    const name = this.scopeName(scope);
    const cachedId = this.#active.get(name);
    if (cachedId) {
      const key = this.#keys.get(cachedId);
      if (key) return { keyId: cachedId, key };
    }
    return this.#serial(name, async () => {
      for (let gen = Math.max(await this.#highestGeneration(name), 1); ; gen++) {
        const keyId = keyIdOf(name, gen);
        const key = await this.#getOrCreate(keyId);
        if (key === 'destroyed') continue; // the scope was erased: its next generation starts fresh
        this.#active.set(name, keyId);
        return { keyId, key };
      }
    });
  }

  /**
   * A key by id, for opening what it sealed.
   * @param record names the record in errors (`tenant/record#field`).
   * @throws KeyDestroyedError when it was destroyed; KeyUnavailableError when it is unknown to the store or cannot be unwrapped.
   */
  async key(keyId: string, record?: string): Promise<Buffer> {
    const cached = this.#keys.get(keyId);
    if (cached) return cached;
    try {
      return await this.#read(keyId, record);
    } catch (err) {
      // A damaged key file or a KEK that does not unwrap names the key; the reader also needs the record.
      if (record && err instanceof KeyUnavailableError && !err.message.includes(record)) {
        throw new KeyUnavailableError(`cannot open record '${record}': ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  async #read(keyId: string, record: string | undefined): Promise<Buffer> {
    const state = await this.#store.get(keyId);
    if (state === 'destroyed') throw new KeyDestroyedError(keyId, record);
    if (state === 'lost') throw this.#lost(keyId, record);
    if (state === undefined) {
      // A record names it, so it was issued: never issue it again (with other bytes) for a write of its scope.
      if (parseKeyId(keyId)) await this.#store.recordIssued(keyId);
      throw new KeyUnavailableError(
        `data key '${keyId}'${record ? ` (record '${record}')` : ''} is not in ${this.#store.location} and was not destroyed there (another key store, or its files were lost)`,
      );
    }
    const key = await this.#unwrap(state);
    this.#keys.set(keyId, key);
    return key;
  }

  /**
   * Starts a new generation of the scope's key: records sealed from now on
   * use it; records sealed before still open with the old one until it is
   * destroyed. @returns the new key id.
   */
  async rotate(scope: KeyScope): Promise<string> {
    const name = this.scopeName(scope);
    return this.#serial(name, async () => {
      for (let gen = (await this.#highestGeneration(name)) + 1; ; gen++) {
        const keyId = keyIdOf(name, gen);
        const key = await this.#getOrCreate(keyId);
        if (key === 'destroyed') continue;
        this.#active.set(name, keyId);
        return keyId;
      }
    });
  }

  /**
   * Destroys every generation of the scope's key (erasure): all records it
   * covers become unreadable, here and in every copy. Evicts them from the
   * cache. Idempotent. @returns the destroyed key ids (including ones destroyed before).
   */
  async destroy(scope: KeyScope): Promise<string[]> {
    const name = this.scopeName(scope);
    return this.#serial(name, async () => {
      const ids: string[] = [];
      const top = await this.#highestGeneration(name);
      for (let gen = 1; gen <= top; gen++) {
        const keyId = keyIdOf(name, gen);
        await this.#store.destroy(keyId);
        this.#keys.delete(keyId);
        ids.push(keyId);
      }
      this.#active.delete(name);
      return ids;
    });
  }

  /**
   * Destroys every key of a tenant: its tenant key and all its session and
   * subject keys, every generation. @returns the destroyed key ids.
   */
  async destroyTenant(tenantId: string): Promise<string[]> {
    checkScope({ kind: 'tenant', tenantId });
    const tag = this.#names.tenantTag(tenantId);
    const tenantName = this.scopeName({ kind: 'tenant', tenantId });
    // Under the tenant scope's chain: a concurrent first use of the tenant key waits for this.
    return this.#serial(tenantName, async () => {
      const { live, destroyed, lost } = await this.#store.list();
      const ids = [...live, ...destroyed, ...lost].filter((id) => parseKeyId(id)?.tenantTag === tag).sort();
      for (const id of ids) {
        await this.#store.destroy(id);
        this.#keys.delete(id);
      }
      this.#active.deleteWhere((name) => parseKeyId(`${name}.1`)?.tenantTag === tag);
      return ids;
    });
  }

  /**
   * KEK rotation: rewraps every live data key (and the naming key) that is
   * not wrapped by the provider's current KEK. Run it after adding a new KEK
   * as the current one (the old one still unwraps); afterwards the old KEK
   * can be retired. Each file is replaced atomically and its previous bytes
   * shredded, so a crash midway leaves every key readable and a second run
   * finishes the rest. Keys of a former provider (see
   * {@link KeyringOptions.formerProviders}) move to the current one.
   * @returns the rewrapped key ids.
   */
  async rewrapAll(): Promise<string[]> {
    const { live } = await this.#store.list();
    const done: string[] = [];
    for (const keyId of live) {
      await this.#serial(parseKeyId(keyId)?.scopeName ?? keyId, async () => {
        const state = await this.#store.get(keyId);
        if (state === undefined || typeof state === 'string') return;
        if (state.provider === this.#provider.name && state.kekId === this.#provider.currentKekId) return;
        const key = await this.#unwrap(state);
        const wrapped = await this.#provider.wrap(key, keyId);
        await this.#store.replace({ ...state, provider: this.#provider.name, kekId: wrapped.kekId, wrapped: wrapped.blob });
        done.push(keyId);
      });
    }
    return done;
  }

  /** Every generation of the scope's key and its state (`lost`: issued, its key material gone without a tombstone). */
  async generations(scope: KeyScope): Promise<{ keyId: string; state: 'live' | 'destroyed' | 'lost' }[]> {
    const name = this.scopeName(scope);
    const out: { keyId: string; state: 'live' | 'destroyed' | 'lost' }[] = [];
    for (let gen = 1; ; gen++) {
      const keyId = keyIdOf(name, gen);
      const s = await this.#store.get(keyId);
      if (s === undefined) return out;
      out.push({ keyId, state: s === 'destroyed' || s === 'lost' ? s : 'live' });
    }
  }

  /** The highest generation the store has for the scope (live, destroyed or lost), 0 for none. Generations are dense: 1, 2, … */
  async #highestGeneration(name: string): Promise<number> {
    let gen = 0;
    while ((await this.#store.get(keyIdOf(name, gen + 1))) !== undefined) gen++;
    return gen;
  }

  /**
   * Reads a key, or creates it if the id was never issued; a lost creation race reads the winner's key.
   * @throws KeyUnavailableError when the id was issued and its key is lost.
   */
  async #getOrCreate(keyId: string): Promise<Buffer | 'destroyed'> {
    const cached = this.#keys.get(keyId);
    if (cached) return cached;
    for (let attempt = 0; attempt < 3; attempt++) {
      const state = await this.#store.get(keyId);
      if (state === 'destroyed') return 'destroyed';
      if (state === 'lost') throw this.#lost(keyId);
      if (state) {
        const key = await this.#unwrap(state);
        this.#keys.set(keyId, key);
        return key;
      }
      const made = this.#provider.generateDataKey
        ? await this.#provider.generateDataKey(keyId)
        : await (async () => {
            const plaintext = randomBytes(32);
            return { plaintext, wrapped: await this.#provider.wrap(plaintext, keyId) };
          })();
      const stored: StoredKey = {
        keyId,
        provider: this.#provider.name,
        kekId: made.wrapped.kekId,
        wrapped: made.wrapped.blob,
        createdAt: this.#now().toISOString(),
      };
      if (await this.#store.create(stored)) {
        this.#keys.set(keyId, made.plaintext);
        return made.plaintext;
      }
      // Another process created (or destroyed) this id first: read what it left.
    }
    throw new KeyUnavailableError(`data key '${keyId}' could neither be created nor read in ${this.#store.location}`);
  }

  /** The refusal for an issued key whose material is gone: restore it, or move the scope to a new id. */
  #lost(keyId: string, record?: string): KeyUnavailableError {
    const scope = parseKeyId(keyId);
    return new KeyUnavailableError(
      `data key '${keyId}'${record ? ` (record '${record}')` : ''} was issued by ${this.#store.location}, but its key material (${this.#store.where(keyId)}) is missing ` +
        'and it was not destroyed by an erasure (lost): restore the file from a backup of the key directory' +
        (scope && record === undefined
          ? `; to write on without it, rotate the ${scope.kind} key (\`symphainy keys rotate --tenant T${{ tenant: '', session: ' --session S', subject: ' --subject KEY=VALUE' }[scope.kind]}\`) — ` +
            'what it sealed stays unreadable until the file is restored'
          : ''),
    );
  }

  async #unwrap(state: StoredKey): Promise<Buffer> {
    const provider = [this.#provider, ...this.#former].find((p) => p.name === state.provider);
    if (!provider) {
      throw new KeyUnavailableError(
        `data key '${state.keyId}' in ${this.#store.location} was wrapped by the '${state.provider}' key provider (KEK '${state.kekId}'), but this runtime uses '${this.#provider.name}'` +
          ' (pass the former provider in formerProviders to move the keys)',
      );
    }
    const key = await provider.unwrap({ kekId: state.kekId, blob: state.wrapped }, state.keyId);
    if (key.length !== 32) throw new KeyUnavailableError(`data key '${state.keyId}' unwrapped to ${key.length} bytes, not 32`);
    return key;
  }

  /** Runs `fn` after every earlier operation on the same scope name has settled. */
  #serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.#chains.set(name, tail);
    void tail.then(() => {
      if (this.#chains.get(name) === tail) this.#chains.delete(name);
    });
    return next;
  }
}

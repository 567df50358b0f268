import { Redis, type ChainableCommander } from 'ioredis';
import { ConfigError, StoreError } from '../../errors/index.ts';
import { durationOption, MAX_TIMER_SECONDS } from '../../policy/duration.ts';
import { tenantParam } from '../../db/tenant-scope.ts';
import type { ContentCipher, CoveredExecution } from '../../crypto/content-cipher.ts';
import { CacheSealing, readRenderings, storedRenderings, type StoredRendering } from '../cache-sealing.ts';
import type { CacheEntry, CacheLookup, CacheStore } from '../cache-store.ts';
import type { DatabaseClock } from '../../db/database-clock.ts';

export interface RedisCacheOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). Named in errors without credentials. */
  url: string;
  /** Prefix of every key, so several deployments can share one Redis. @default 'symphainy' */
  keyPrefix?: string;
  /** Use this client instead of opening one; {@link RedisCache.close} then leaves it open. */
  client?: Redis;
  /** Milliseconds {@link RedisCache.connect} waits for Redis to answer (connection, AUTH, PING). @default 3000 */
  connectTimeoutMs?: number;
  /** Milliseconds a command may take before it fails, so a stalled Redis cannot hang an execution. @default 5000 */
  commandTimeoutMs?: number;
  /**
   * Keep reconnecting (with backoff) even if the first connection fails, for
   * a runtime that starts while Redis is down; commands fail with StoreError
   * until it answers. @default false: the first connection failing is final
   */
  retryFromStart?: boolean;
  /** Seal entries' renderings before they reach Redis. Absent: plaintext (encryption off). */
  cipher?: ContentCipher;
}

/** One entry as stored: the {@link CacheEntry} with renderings as base64 (JSON has no bytes), or sealed (`sye1:…`). */
interface StoredEntry extends Omit<CacheEntry, 'renderings' | 'sealedRenderings'> {
  readonly renderings: StoredRendering[] | string;
}

/** Where an entry lives: enough to find every key that names it. */
interface Location {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly cacheId: string;
}

const PURGE_BATCH = 1000;

/**
 * The cache tier in Redis, for several runtime nodes sharing cached renderings.
 *
 * General notes:
 * - Keys (ids are `encodeURIComponent`-encoded, so they never contain `:`, and
 *   `:` separates fields unambiguously whatever characters tenant ids use):
 *   - `P:t:<tenant>:entry:<cacheId>` — the entry as JSON;
 *   - `P:t:<tenant>:s:<session>:ids` and `P:t:<tenant>:ids` — sorted sets of
 *     cache ids scored by expiry (ms), for session and tenant lookups;
 *   - `P:all` — sorted set of locations (`<tenant>:<session>:<cacheId>`) for
 *     `ANY_TENANT` lookups and for {@link purgeExpired}, which must find the
 *     tenant and session sets of an expired entry after Redis dropped it;
 *   - `P:loc:<cacheId>` — that location, because {@link delete} gets bare ids.
 *   Every key carries a Redis expiry (entries and locations: their own; sets:
 *   their latest member's), so nothing outlives its TTL even if no runtime
 *   purges.
 * - Time: `expiresAt` and `createdAt` are the database's time (the runtime's
 *   {@link DatabaseClock}), and so are the `now` that reads and purges are
 *   given; set scores are `expiresAt`. Redis's own expiry is set *relative*
 *   (`PX` = `expiresAt - createdAt`, counted from the SET), so a Redis host
 *   whose clock is off neither drops an entry early nor keeps it late.
 * - Tenant isolation is by key: a tenant's lookup only reads keys under its
 *   own `P:t:<tenant>:`; only `ANY_TENANT` reads `P:all`.
 * - One `put` is one MULTI spanning a tenant's keys and `P:all`, so this needs
 *   a single Redis primary, not Redis Cluster.
 * - Not transactional with the database: the runtime writes entries before
 *   its completion transaction and deletes them by id if that fails.
 */
export class RedisCache implements CacheStore {
  readonly name = 'redis';
  readonly transactional = false;
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  /** The URL without credentials, for messages. */
  readonly #where: string;
  /** The password as written in the URL and decoded, to scrub from messages. */
  readonly #secrets: string[];
  /** ioredis reports the cause of a failed connection as an event; commands then only say "Connection is closed". */
  #lastConnectionError: Error | undefined;
  readonly #connectTimeoutMs: number;
  readonly #sealing: CacheSealing | undefined;
  #closed = false;

  /** Opens (lazily) a client; prefer {@link RedisCache.connect}, which checks the server answers. */
  constructor(options: RedisCacheOptions) {
    const url = parseRedisUrl(options?.url);
    this.#where = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    this.#secrets = url.password ? [url.password, safeDecode(url.password)] : [];
    this.#prefix = options.keyPrefix ?? 'symphainy';
    if (typeof this.#prefix !== 'string' || this.#prefix.length === 0) {
      throw new ConfigError(`RedisCache keyPrefix must be a non-empty string, got ${JSON.stringify(options.keyPrefix)}`);
    }
    // Timers: through the one duration parser (whole milliseconds, at most what a timer can wait).
    const ms = { unit: 'ms', plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS } as const;
    this.#connectTimeoutMs = durationOption('RedisCache connectTimeoutMs', options.connectTimeoutMs ?? 3000, ms);
    const commandTimeoutMs = durationOption('RedisCache commandTimeoutMs', options.commandTimeoutMs ?? 5000, ms);
    this.#sealing = options.cipher ? new CacheSealing(options.cipher) : undefined;
    this.#ownsClient = !options.client;
    if (options.client) {
      this.#client = options.client;
    } else {
      let readyOnce = false;
      this.#client = new Redis(options.url, {
        lazyConnect: true,
        connectTimeout: this.#connectTimeoutMs,
        commandTimeout: commandTimeoutMs,
        // A command waits for at most one reconnect, then fails as a StoreError instead of queueing.
        maxRetriesPerRequest: 1,
        // Fail the first connection at once (a wrong URL should not hang startup);
        // after that, a Redis restart is survived by reconnecting with backoff.
        retryStrategy: (times) => (readyOnce || options.retryFromStart ? Math.min(times * 200, 2000) : null),
      });
      this.#client.once('ready', () => (readyOnce = true));
    }
    this.#client.on('ready', () => (this.#lastConnectionError = undefined));
    // Without a listener ioredis prints every connection error; they surface through commands instead.
    this.#client.on('error', (err: Error) => (this.#lastConnectionError = err));
  }

  /** `ok` when the client is connected; otherwise `degraded` with the last connection error. */
  health(): { status: 'ok' | 'degraded'; detail?: string } {
    if (this.#client.status === 'ready') return { status: 'ok' };
    const why = this.#lastConnectionError ? `: ${this.#error('connecting', this.#lastConnectionError).message}` : '';
    return { status: 'degraded', detail: `Redis at ${this.#where} is ${this.#client.status}${why}` };
  }

  /** Starts connecting without waiting (a client made with `retryFromStart` then keeps trying). */
  connectInBackground(): void {
    if (this.#client.status === 'wait') this.#client.connect().catch(() => {});
  }

  /** Opens a client and checks with PING that Redis answers; fails within `connectTimeoutMs`. */
  static async connect(options: RedisCacheOptions): Promise<RedisCache> {
    const cache = new RedisCache(options);
    let timer: NodeJS.Timeout | undefined;
    try {
      await cache.#run('connect', () =>
        Promise.race([
          (async () => {
            if (cache.#client.status === 'wait') await cache.#client.connect();
            await cache.#client.ping();
          })(),
          // connectTimeout only covers the TCP connect; a peer that accepts and never answers would wait forever.
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${cache.#connectTimeoutMs} ms`)), cache.#connectTimeoutMs);
          }),
        ]),
      );
    } catch (err) {
      await cache.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return cache;
  }

  async seal(entry: CacheEntry, coveredBy: CoveredExecution): Promise<CacheEntry> {
    return this.#sealing ? this.#sealing.seal(entry, coveredBy) : entry;
  }

  async put(entries: readonly CacheEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const renderings = await Promise.all(entries.map((e) => storedRenderings(this.#sealing, e)));
    const m = this.#client.multi();
    for (const [i, e] of entries.entries()) {
      const at = Date.parse(e.expiresAt);
      const from = Date.parse(e.createdAt);
      if (!Number.isFinite(at)) throw new TypeError(`cache entry '${e.cacheId}' has an invalid expiresAt '${e.expiresAt}'`);
      if (!Number.isFinite(from)) throw new TypeError(`cache entry '${e.cacheId}' has an invalid createdAt '${e.createdAt}'`);
      // Relative: Redis counts the entry's lifetime down from this SET with its own clock, which
      // may disagree with the database's; an absolute instant (PXAT) would be read on Redis's clock.
      const ttlMs = Math.max(1, Math.ceil(at - from));
      const loc = this.#location(e);
      const { sealedRenderings: _, ...rest } = e;
      const stored: StoredEntry = { ...rest, renderings: renderings[i]! };
      m.set(this.#entryKey(e.tenantId, e.cacheId), JSON.stringify(stored), 'PX', ttlMs);
      m.set(this.#locKey(e.cacheId), loc, 'PX', ttlMs);
      this.#index(m, this.#sessionKey(e.tenantId, e.sessionId), e.cacheId, at, ttlMs);
      this.#index(m, this.#tenantKey(e.tenantId), e.cacheId, at, ttlMs);
      this.#index(m, this.#allKey(), loc, at, ttlMs);
    }
    await this.#exec('put', m);
  }

  async get(lookup: CacheLookup, now: Date): Promise<CacheEntry[]> {
    const tenantId = tenantParam(lookup.tenantId);
    const nowMs = now.getTime();
    const live = `(${nowMs}`;
    const values = await this.#run('get', async () => {
      let keys: string[];
      if (lookup.cacheId != null) {
        if (tenantId !== null) {
          keys = [this.#entryKey(tenantId, lookup.cacheId)];
        } else {
          const loc = await this.#client.get(this.#locKey(lookup.cacheId));
          keys = loc ? [this.#entryKeyAt(loc)] : [];
        }
      } else if (tenantId !== null) {
        const set = lookup.sessionId != null ? this.#sessionKey(tenantId, lookup.sessionId) : this.#tenantKey(tenantId);
        keys = (await this.#client.zrangebyscore(set, live, '+inf')).map((id) => this.#entryKey(tenantId, id));
      } else {
        keys = (await this.#client.zrangebyscore(this.#allKey(), live, '+inf')).map((loc) => this.#entryKeyAt(loc));
      }
      return keys.length > 0 ? this.#client.mget(keys) : [];
    });
    const entries: CacheEntry[] = [];
    for (const value of values) {
      if (value === null) continue; // expired (or deleted) since the index was read
      const s = JSON.parse(value) as StoredEntry;
      if (
        (tenantId === null || s.tenantId === tenantId) &&
        (lookup.sessionId == null || s.sessionId === lookup.sessionId) &&
        (lookup.executionId == null || s.executionId === lookup.executionId) &&
        (lookup.artifactKey == null || s.artifactKey === lookup.artifactKey) &&
        (lookup.cacheId == null || s.cacheId === lookup.cacheId) &&
        Date.parse(s.expiresAt) > nowMs
      ) {
        const renderings = await readRenderings(this.#sealing, s, s.renderings);
        if (renderings !== null) entries.push({ ...s, renderings }); // null: erased, its key was destroyed
      }
    }
    // Same order as the embedded cache: ORDER BY created_at, artifact_key.
    return entries.sort(
      (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.artifactKey < b.artifactKey ? -1 : a.artifactKey > b.artifactKey ? 1 : 0),
    );
  }

  async delete(cacheIds: readonly string[]): Promise<void> {
    if (cacheIds.length === 0) return;
    const locs = await this.#run('delete', () => this.#client.mget(cacheIds.map((id) => this.#locKey(id))));
    const m = this.#client.multi();
    for (const loc of locs) {
      // No location: the entry has expired already; purgeExpired removes its index members.
      if (loc !== null) this.#unlink(m, loc);
    }
    await this.#exec('delete', m);
  }

  /** Removes entries with `expiresAt <= now` and their index members; returns how many entries were purged. */
  async purgeExpired(now: Date): Promise<number> {
    const nowMs = now.getTime();
    let purged = 0;
    for (;;) {
      const locs = await this.#run('purge', () => this.#client.zrangebyscore(this.#allKey(), '-inf', nowMs, 'LIMIT', 0, PURGE_BATCH));
      if (locs.length === 0) return purged;
      const m = this.#client.multi();
      m.zrem(this.#allKey(), ...locs); // first reply: how many this call removed (another node may purge too)
      const sets = new Set<string>();
      for (const loc of locs) {
        const { tenantId, sessionId, cacheId } = parseLocation(loc);
        m.del(this.#entryKey(tenantId, cacheId), this.#locKey(cacheId));
        sets.add(this.#sessionKey(tenantId, sessionId)).add(this.#tenantKey(tenantId));
      }
      for (const set of sets) m.zremrangebyscore(set, '-inf', nowMs);
      const replies = await this.#exec('purge', m);
      purged += Number(replies[0]);
      if (locs.length < PURGE_BATCH) return purged;
    }
  }

  async close(): Promise<void> {
    if (this.#closed || !this.#ownsClient) return;
    this.#closed = true;
    // QUIT fails on a connection that never opened; then just drop the socket.
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  #location(e: { tenantId: string; sessionId: string; cacheId: string }): string {
    return [e.tenantId, e.sessionId, e.cacheId].map(encodeURIComponent).join(':');
  }

  #entryKey(tenantId: string, cacheId: string): string {
    return `${this.#prefix}:t:${encodeURIComponent(tenantId)}:entry:${encodeURIComponent(cacheId)}`;
  }

  #entryKeyAt(loc: string): string {
    const { tenantId, cacheId } = parseLocation(loc);
    return this.#entryKey(tenantId, cacheId);
  }

  #sessionKey(tenantId: string, sessionId: string): string {
    return `${this.#prefix}:t:${encodeURIComponent(tenantId)}:s:${encodeURIComponent(sessionId)}:ids`;
  }

  #tenantKey(tenantId: string): string {
    return `${this.#prefix}:t:${encodeURIComponent(tenantId)}:ids`;
  }

  #allKey(): string {
    return `${this.#prefix}:all`;
  }

  #locKey(cacheId: string): string {
    return `${this.#prefix}:loc:${encodeURIComponent(cacheId)}`;
  }

  /** Adds a member (scored by its expiry in database time) and keeps the set alive until its latest member expires. */
  #index(m: ChainableCommander, key: string, member: string, at: number, ttlMs: number): void {
    m.zadd(key, at, member);
    // NX sets the expiry of a new set; GT extends an existing one (a set without expiry counts as infinite for GT).
    m.pexpire(key, ttlMs, 'NX');
    m.pexpire(key, ttlMs, 'GT');
  }

  #unlink(m: ChainableCommander, loc: string): void {
    const { tenantId, sessionId, cacheId } = parseLocation(loc);
    m.del(this.#entryKey(tenantId, cacheId), this.#locKey(cacheId));
    m.zrem(this.#sessionKey(tenantId, sessionId), cacheId);
    m.zrem(this.#tenantKey(tenantId), cacheId);
    m.zrem(this.#allKey(), loc);
  }

  /** Runs a MULTI; any failed command fails the call (MULTI does not roll back, but every command here is idempotent). */
  async #exec(what: string, m: ChainableCommander): Promise<unknown[]> {
    const replies = await this.#run(what, () => m.exec());
    if (!replies) throw new StoreError(`Redis cache at ${this.#where}: ${what} failed: the transaction was aborted`);
    const failed = replies.find(([err]) => err);
    if (failed) throw this.#error(what, failed[0]);
    return replies.map(([, reply]) => reply);
  }

  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#error(what, err);
    }
  }

  #error(what: string, err: unknown): StoreError {
    let message = err instanceof Error ? err.message : String(err);
    // "Connection is closed" says nothing; the connection's own error (ECONNREFUSED, WRONGPASS, a TLS error) does.
    const cause = this.#lastConnectionError;
    if (cause && /connection is closed|max retries/i.test(message)) message = cause.message;
    // ioredis does not echo the password, but never let one reach a message or log.
    for (const secret of this.#secrets) message = message.split(secret).join('***');
    return new StoreError(`Redis cache at ${this.#where}: ${what} failed: ${message}`, { cause: err });
  }
}

function parseLocation(loc: string): Location {
  const [tenantId = '', sessionId = '', cacheId = ''] = loc.split(':').map(decodeURIComponent);
  return { tenantId, sessionId, cacheId };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function parseRedisUrl(value: unknown): URL {
  if (typeof value !== 'string') throw new ConfigError(`RedisCache needs a url (redis://host:port), got ${typeof value}`);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new ConfigError(`invalid Redis URL '${withoutCredentials(value)}': expected redis://[user:password@]host[:port][/db] or rediss://…`);
  }
  return url;
}

/** Drops `user:password@` even from strings that do not parse as URLs (everything up to the last `@`). */
function withoutCredentials(value: string): string {
  return value.replace(/^([^:/?#@]+:\/\/)?.*@/s, '$1');
}

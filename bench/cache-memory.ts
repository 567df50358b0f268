/**
 * Memory per cached artifact: N cached ~1 KB artifacts in the embedded cache
 * (PGlite, data dir in a temp folder: the process's RSS) and in Redis (the
 * server's `used_memory` delta from INFO, and this client process's RSS).
 * Runs as a child process per backend, for a clean RSS.
 *
 *   node --import tsx --expose-gc bench/cache-memory.ts '{"backend": "embedded", "entries": 100000}'
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type CacheEntry, type CacheStore } from '../src/index.ts';
import { PgliteDb } from '../src/db/pglite/pglite-db.ts';
import { RedisCache } from '../src/cache/redis/redis-cache.ts';
import { EmbeddedCache } from '../src/cache/embedded-cache.ts';
import { migrate } from '../src/db/migrations/migrate.ts';
import { gc, runAsChild } from './stats.ts';

export interface CacheMemoryFigures {
  readonly backend: 'embedded' | 'redis';
  readonly entries: number;
  readonly payloadBytes: number;
  /** RSS growth of the process holding the cache, per entry (negative: RSS did not grow beyond noise). */
  readonly rssBytesPerEntry: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** Embedded only: the cache table's size on disk (heap, TOAST and indexes), per entry. */
  readonly diskBytesPerEntry?: number;
  /** Redis only: growth of the server's used_memory, per entry. */
  readonly serverBytesPerEntry?: number;
  readonly note: string;
}

interface Args {
  readonly backend: 'embedded' | 'redis';
  readonly entries: number;
  readonly redisUrl?: string;
  /** A migrated PGlite data dir to copy instead of running initdb. */
  readonly pgliteTemplate?: string;
}

const BATCH = 500;
const PAYLOAD = 1024;

function entries(from: number, count: number, base: Buffer): CacheEntry[] {
  const createdAt = new Date().toISOString();
  const expiresAt = new Date(Date.now() + 3600_000).toISOString();
  return Array.from({ length: count }, (_, k) => {
    const n = from + k;
    const bytes = Buffer.from(base);
    bytes.writeUInt32LE(n, 0);
    const executionId = randomUUID();
    return {
      cacheId: randomUUID(),
      tenantId: 'acme',
      sessionId: `s${n % 100}`,
      executionId,
      artifactKey: 'report',
      resultType: 'report',
      renderings: [{ name: 'json', contentType: 'application/json', bytes }],
      decision: { layer: 'solution', reason: "solution config 'bench' sets report: cache", policyVersion: 'sha256:0000000000000000', ttlSeconds: 3600 },
      lineage: {
        tenantId: 'acme', sessionId: `s${n % 100}`, intentId: randomUUID(), intentType: 'bench.produce', executionId, realm: 'bench', inputArtifactIds: [],
      },
      createdAt,
      expiresAt,
    } as CacheEntry;
  });
}

async function settledRss(): Promise<number> {
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
}

async function fill(cache: CacheStore, total: number): Promise<void> {
  const base = randomBytes(PAYLOAD);
  for (let from = 0; from < total; from += BATCH) await cache.put(entries(from, Math.min(BATCH, total - from), base));
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

async function main(args: Args): Promise<CacheMemoryFigures> {
  if (args.backend === 'embedded') {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-cache-'));
    if (args.pgliteTemplate) await cp(args.pgliteTemplate, join(dir, 'db'), { recursive: true });
    const db = await PgliteDb.open({ dataDir: join(dir, 'db') });
    try {
      await migrate(db);
      const cache = new EmbeddedCache(db);
      await fill(cache, Math.min(1000, args.entries)); // warm-up: first pages, plans
      await db.query('DELETE FROM symphainy.cache_entries');
      const before = await settledRss();
      await fill(cache, args.entries);
      const after = await settledRss();
      const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM symphainy.cache_entries')) as [{ n: number }];
      if (n !== args.entries) throw new Error(`expected ${args.entries} cached entries, found ${n}`);
      await db.query('VACUUM symphainy.cache_entries');
      const [{ bytes }] = (await db.query<{ bytes: string }>("SELECT pg_total_relation_size('symphainy.cache_entries')::text AS bytes")) as [{ bytes: string }];
      return {
        backend: 'embedded',
        entries: args.entries,
        payloadBytes: PAYLOAD,
        rssBytesPerEntry: (after - before) / args.entries,
        rssBeforeBytes: before,
        rssAfterBytes: after,
        diskBytesPerEntry: Number(bytes) / args.entries,
        note: 'EmbeddedCache on PGlite with a temp data dir: RSS of the process (WASM heap and shared buffers; rows live on disk)',
      };
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const prefix = `symphainy-bench-${process.pid}-${randomUUID().slice(0, 8)}`;
  const admin = new Redis(args.redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  const cache = await RedisCache.connect({ url: args.redisUrl!, keyPrefix: prefix });
  try {
    await fill(cache, Math.min(200, args.entries)); // warm-up: connection, scripts, buffers
    const serverBefore = await usedMemory(admin);
    const before = await settledRss();
    await fill(cache, args.entries);
    const after = await settledRss();
    const serverAfter = await usedMemory(admin);
    return {
      backend: 'redis',
      entries: args.entries,
      payloadBytes: PAYLOAD,
      rssBytesPerEntry: (after - before) / args.entries,
      rssBeforeBytes: before,
      rssAfterBytes: after,
      serverBytesPerEntry: (serverAfter - serverBefore) / args.entries,
      note: `RedisCache, key prefix ${prefix} (deleted after): server used_memory delta; client process RSS delta`,
    };
  } finally {
    await cache.close();
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.unlink(...keys);
    } while (cursor !== '0');
    await admin.quit();
  }
}

runAsChild<Args, unknown>(import.meta.url, main);

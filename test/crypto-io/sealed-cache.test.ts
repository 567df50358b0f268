import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { CacheEntry, CacheStore } from '../../src/cache/cache-store.ts';
import { EmbeddedCache } from '../../src/cache/embedded-cache.ts';
import { RedisCache } from '../../src/cache/redis/redis-cache.ts';
import { DecryptError } from '../../src/errors/index.ts';
import { SERVICES, skipUnlessRedis } from '../support/services.ts';
import { freshDb, TEST_DRIVER, type TestDb } from '../support/test-runtime.ts';
import { freshCipher, holds, marker } from './cipher-fixtures.ts';

/**
 * Cache entries' renderings are sealed before they are written (outside the
 * transaction the embedded cache joins): the table and Redis hold no clear
 * content, reads open them, and an entry whose covering key was destroyed
 * is a miss — never its plaintext.
 */

const HOUR = 3_600_000;
function entry(tenantId: string, sessionId: string, text: string): CacheEntry {
  const now = Date.now();
  return {
    cacheId: `cache_${randomUUID()}`, tenantId, sessionId, executionId: `exe_${randomUUID()}`, artifactKey: 'visual', resultType: 'visual',
    renderings: [{ name: 'svg', contentType: 'image/svg+xml', bytes: Buffer.from(`${text}<svg/>`) }],
    decision: { layer: 'solution', reason: 'cached for the session', policyVersion: 'v1', ttlSeconds: 3600 },
    lineage: { tenantId, sessionId, intentId: 'i-1', intentType: 'journey.sop_to_workflow', executionId: 'exe', realm: 'journey', inputArtifactIds: [] },
    createdAt: new Date(now).toISOString(), expiresAt: new Date(now + HOUR).toISOString(),
  };
}

type Raw = () => Promise<string[]>;

async function exercise(cache: CacheStore, raw: Raw, fx: Awaited<ReturnType<typeof freshCipher>>, write: (e: CacheEntry) => Promise<void>): Promise<void> {
  const tenantId = `t-${randomUUID().slice(0, 8)}`;
  const secret = marker('cache');
  const covered = { tenantId, sessionId: 's1', parameters: { customer_id: '42' } };
  const sealed = await cache.seal!(entry(tenantId, 's1', secret), covered);
  const kept = await cache.seal!(entry(tenantId, 's2', secret), { tenantId, sessionId: 's2', parameters: { customer_id: '43' } });
  assert.match(sealed.sealedRenderings!, /^sye1:/);
  await write(sealed);
  await write(kept);
  for (const value of await raw()) assert.ok(!holds(value, secret), `stored value holds the content in clear: ${value.slice(0, 80)}`);

  const [got] = await cache.get({ tenantId, sessionId: 's1' }, new Date());
  assert.equal(Buffer.from(got!.renderings[0]!.bytes).toString(), `${secret}<svg/>`);
  assert.equal(got!.renderings[0]!.contentType, 'image/svg+xml');

  // Erasing the subject makes s1's entry a miss; s2's (another subject) still reads.
  await fx.keyring.destroy({ kind: 'subject', tenantId, name: 'customer_id', value: '42' });
  assert.deepEqual(await cache.get({ tenantId, sessionId: 's1' }, new Date()), []);
  assert.deepEqual((await cache.get({ tenantId }, new Date())).map((e) => e.cacheId), [kept.cacheId]);
}

describe(`sealed entries in the embedded cache (${TEST_DRIVER})`, () => {
  let db: TestDb;
  let fx: Awaited<ReturnType<typeof freshCipher>>;
  let cache: EmbeddedCache;
  before(async () => {
    db = await freshDb();
    fx = await freshCipher();
    cache = new EmbeddedCache(db, { cipher: fx.cipher });
  });
  after(async () => {
    await db?.close();
    await fx?.cleanup();
  });
  const raw = (tenantId: string) => async () =>
    (await db.scoped(tenantId).query<{ r: string }>('SELECT renderings::text AS r FROM symphainy.cache_entries WHERE tenant_id = $1', [tenantId])).map((x) => x.r);

  it('seals before the transaction, stores no clear content, opens on read, and misses once a covering key is destroyed', async () => {
    let tenant = '';
    await exercise(cache, () => raw(tenant)(), fx, async (e) => {
      tenant = e.tenantId;
      // In the caller's transaction, as the completion writes it.
      await db.scoped(e.tenantId).transaction((tx) => cache.put([e], tx));
    });
  });

  it('refuses an unsealed entry inside a transaction; seals one given outside any', async () => {
    const e = entry('acme', 's1', marker('unsealed'));
    await assert.rejects(db.scoped('acme').transaction((tx) => cache.put([e], tx)), /cache entry 'cache_[^']+' must be sealed \(CacheStore\.seal\) before the transaction/);
    await cache.put([e]);
    const [value] = await raw('acme')();
    assert.match(JSON.parse(value!), /^sye1:/);
    assert.equal((await cache.get({ tenantId: 'acme', cacheId: e.cacheId }, new Date())).length, 1);
  });

  it('a sealed entry read by a cache without keys is a clear error, not a silent plaintext', async () => {
    const e = await cache.seal(entry('acme', 's9', marker('nokeys')), { tenantId: 'acme', sessionId: 's9' });
    await cache.put([e]);
    await assert.rejects(new EmbeddedCache(db).get({ tenantId: 'acme', cacheId: e.cacheId }, new Date()), (err: unknown) =>
      err instanceof DecryptError && /is sealed, and this cache has no encryption keys/.test(err.message));
  });
});

const skip = await skipUnlessRedis();

describe('sealed entries in the Redis cache', { skip }, () => {
  let admin: Redis;
  let prefix: string;
  let fx: Awaited<ReturnType<typeof freshCipher>>;
  let cache: RedisCache;
  before(async () => {
    admin = new Redis(SERVICES.redis);
    prefix = `symphainy-test-${randomUUID()}`;
    fx = await freshCipher();
    cache = await RedisCache.connect({ url: SERVICES.redis, keyPrefix: prefix, cipher: fx.cipher });
  });
  after(async () => {
    await cache?.close();
    const left = await admin.keys(`${prefix}:*`);
    if (left.length > 0) await admin.del(...left);
    await admin?.quit();
    await fx?.cleanup();
  });

  it('Redis holds no clear content; reads open it; a destroyed covering key makes the entry a miss', async () => {
    const raw: Raw = async () => {
      const keys = await admin.keys(`${prefix}:*`);
      const values: string[] = [];
      for (const k of keys) {
        const type = await admin.type(k);
        values.push(type === 'string' ? (await admin.get(k))! : (await admin.zrange(k, '0', '-1')).join('\n'));
      }
      return values;
    };
    await exercise(cache, raw, fx, (e) => cache.put([e]));
  });
});

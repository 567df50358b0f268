import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { journey } from '../../src/examples/realms.ts';
import type { CacheEntry } from '../../src/cache/cache-store.ts';
import { RedisCache } from '../../src/cache/redis/redis-cache.ts';
import { ConfigError, StoreError } from '../../src/errors/index.ts';
import { ANY_TENANT } from '../../src/index.ts';
import { directResult, uid } from '../runtime/helpers.ts';
import { skipUnlessRedis, SERVICES } from '../support/services.ts';
import { dbTime } from '../support/database-time.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';

const HOUR = 3_600_000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

let n = 0;
function entry(fields: Partial<CacheEntry> & Pick<CacheEntry, 'tenantId' | 'sessionId'>, ttlMs = HOUR): CacheEntry {
  const created = Date.now() + n++; // distinct createdAt, in put order
  const cacheId = fields.cacheId ?? `cache_${randomUUID()}`;
  return {
    cacheId,
    executionId: 'exec-1',
    artifactKey: 'visual',
    resultType: 'visual',
    renderings: [{ name: 'svg', contentType: 'image/svg+xml', bytes: Buffer.from('<svg/>') }],
    decision: { layer: 'solution', reason: 'cached for the session', policyVersion: 'v1', ttlSeconds: Math.round(ttlMs / 1000) },
    lineage: {
      tenantId: fields.tenantId, sessionId: fields.sessionId, intentId: 'i-1', intentType: 'journey.sop_to_workflow',
      executionId: fields.executionId ?? 'exec-1', realm: 'journey', inputArtifactIds: [],
    },
    createdAt: new Date(created).toISOString(),
    expiresAt: new Date(created + ttlMs).toISOString(),
    ...fields,
  };
}

const skip = await skipUnlessRedis();

describe('RedisCache', { skip }, () => {
  let admin: Redis;
  let prefix: string;
  let cache: RedisCache;
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found.sort();
  };
  const ids = (entries: readonly CacheEntry[]) => entries.map((e) => e.cacheId);

  before(() => {
    admin = new Redis(SERVICES.redis);
  });
  after(() => admin?.quit());
  beforeEach(async () => {
    prefix = `symphainy-test-${randomUUID()}`;
    cache = await RedisCache.connect({ url: SERVICES.redis, keyPrefix: prefix });
  });
  afterEach(async () => {
    await cache?.close();
    const left = await keys();
    if (left.length > 0) await admin.del(...left);
  });

  it('round-trips an entry: renderings byte for byte, content types, decision and lineage', async () => {
    const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x0a, 0x0d]);
    const e = entry({
      tenantId: 'acme',
      sessionId: 's1',
      renderings: [
        { name: 'png', contentType: 'image/png', bytes: binary },
        { name: 'mermaid', contentType: 'text/vnd.mermaid; charset=utf-8', bytes: Buffer.from('graph TD; A-->B é ✓') },
      ],
    });
    await cache.put([e]);
    const [got, ...rest] = await cache.get({ tenantId: 'acme', sessionId: 's1' }, new Date());
    assert.deepEqual(rest, []);
    assert.ok(got);
    assert.deepEqual(
      got.renderings.map((r) => [r.name, r.contentType, hex(r.bytes)]),
      e.renderings.map((r) => [r.name, r.contentType, hex(r.bytes)]),
    );
    const { renderings: _a, ...fields } = got;
    const { renderings: _b, ...expected } = e;
    assert.deepEqual(fields, expected);
    assert.equal(cache.name, 'redis');
    assert.equal(cache.transactional, false);
  });

  it("never returns another tenant's entries, even with the same session id or with ids full of separators", async () => {
    // With naive `t:<tenant>:s:<session>` keys, tenant 'x:s:s1' would read tenant 'x' session 's1'.
    const a = entry({ tenantId: 'x', sessionId: 's1' });
    const b = entry({ tenantId: 'x:s:s1', sessionId: 's1' });
    const c = entry({ tenantId: 'user@corp.example_1-2', sessionId: 'a:b@c' });
    await cache.put([a, b, c]);
    const now = new Date();
    assert.deepEqual(ids(await cache.get({ tenantId: 'x' }, now)), [a.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId: 'x', sessionId: 's1' }, now)), [a.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId: 'x:s:s1' }, now)), [b.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId: 'x:s:s1', sessionId: 's1' }, now)), [b.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId: 'user@corp.example_1-2', sessionId: 'a:b@c' }, now)), [c.cacheId]);
    // Another tenant cannot reach an entry by its cache id or execution id either.
    assert.deepEqual(await cache.get({ tenantId: 'x:s:s1', cacheId: a.cacheId }, now), []);
    assert.deepEqual(await cache.get({ tenantId: 'other', executionId: 'exec-1' }, now), []);
    assert.deepEqual(ids(await cache.get({ tenantId: 'x', cacheId: a.cacheId }, now)), [a.cacheId]);
    await assert.rejects(cache.get({ tenantId: '' }, now), TypeError);
  });

  it('scopes by session and filters by execution and artifact key, ordered by createdAt then artifact key', async () => {
    const tenantId = uid('t');
    const sameTime = new Date().toISOString();
    const workflow = entry({ tenantId, sessionId: 's1', artifactKey: 'workflow', resultType: 'workflow', createdAt: sameTime });
    const visual = entry({ tenantId, sessionId: 's1', artifactKey: 'visual', createdAt: sameTime });
    const later = entry({ tenantId, sessionId: 's2', executionId: 'exec-2', createdAt: new Date(Date.parse(sameTime) + 5).toISOString() });
    await cache.put([later, workflow, visual]);
    const now = new Date();
    assert.deepEqual(ids(await cache.get({ tenantId, sessionId: 's1' }, now)), [visual.cacheId, workflow.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId, sessionId: 's2' }, now)), [later.cacheId]);
    assert.deepEqual(await cache.get({ tenantId, sessionId: 's3' }, now), []);
    assert.deepEqual(ids(await cache.get({ tenantId }, now)), [visual.cacheId, workflow.cacheId, later.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId, executionId: 'exec-2' }, now)), [later.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId, executionId: 'exec-1', artifactKey: 'workflow' }, now)), [workflow.cacheId]);
    assert.deepEqual(await cache.get({ tenantId, sessionId: 's2', cacheId: visual.cacheId }, now), []);
  });

  it('looks up across tenants with ANY_TENANT', async () => {
    const a = entry({ tenantId: 'a', sessionId: 'shared' });
    const b = entry({ tenantId: 'b', sessionId: 'shared' });
    const c = entry({ tenantId: 'b', sessionId: 'own' });
    await cache.put([a, b, c]);
    const now = new Date();
    assert.deepEqual(ids(await cache.get({ tenantId: ANY_TENANT }, now)), [a.cacheId, b.cacheId, c.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId: ANY_TENANT, sessionId: 'shared' }, now)), [a.cacheId, b.cacheId]);
    assert.deepEqual(ids(await cache.get({ tenantId: ANY_TENANT, cacheId: c.cacheId }, now)), [c.cacheId]);
    assert.deepEqual(await cache.get({ tenantId: ANY_TENANT, cacheId: 'cache_missing' }, now), []);
  });

  it('lets Redis expire entries at their TTL, and hides them from a later `now` at once', async () => {
    const short = entry({ tenantId: 't', sessionId: 's', artifactKey: 'a' }, 1000);
    const long = entry({ tenantId: 't', sessionId: 's', artifactKey: 'b' }, HOUR);
    await cache.put([short]);
    assert.equal(await admin.exists(`${prefix}:t:t:entry:${encodeURIComponent(short.cacheId)}`), 1);
    // Every key (entry, location, the three indexes) expires with the entry.
    const remaining = Date.parse(short.expiresAt) - Date.now();
    for (const key of await keys()) {
      const ttl = await admin.pttl(key);
      assert.ok(ttl > 0 && ttl <= remaining + 5, `${key} expires in ${ttl} ms, the entry in ${remaining} ms`);
    }
    assert.deepEqual(ids(await cache.get({ tenantId: 't', sessionId: 's' }, new Date())), [short.cacheId]);

    await cache.put([long]);
    await sleep(1200);
    assert.equal(await admin.exists(`${prefix}:t:t:entry:${encodeURIComponent(short.cacheId)}`), 0);
    assert.equal(await admin.pttl(`${prefix}:t:t:entry:${encodeURIComponent(short.cacheId)}`), -2);
    assert.equal(await admin.exists(`${prefix}:loc:${encodeURIComponent(short.cacheId)}`), 0);
    assert.deepEqual(ids(await cache.get({ tenantId: 't', sessionId: 's' }, new Date())), [long.cacheId]);
    // The caller's clock is honoured too (the runtime's may be faked).
    assert.deepEqual(await cache.get({ tenantId: 't', sessionId: 's' }, new Date(Date.now() + 2 * HOUR)), []);
    assert.deepEqual(await cache.get({ tenantId: ANY_TENANT }, new Date(Date.now() + 2 * HOUR)), []);
    assert.deepEqual(await cache.get({ tenantId: 't', cacheId: long.cacheId }, new Date(Date.parse(long.expiresAt))), []);
  });

  it("counts an entry's lifetime from its SET, whatever Redis's host clock says: entries stamped a month behind or ahead live their TTL", async () => {
    const MONTH = 31 * 24 * HOUR;
    // Stamped by a database clock a month off the Redis host's: an absolute expiry (PXAT) would
    // drop the first at once and keep the second for a month.
    const behind = entry({ tenantId: 't', sessionId: 's', artifactKey: 'a', createdAt: new Date(Date.now() - MONTH).toISOString(), expiresAt: new Date(Date.now() - MONTH + HOUR).toISOString() });
    const ahead = entry({ tenantId: 't', sessionId: 's', artifactKey: 'b', createdAt: new Date(Date.now() + MONTH).toISOString(), expiresAt: new Date(Date.now() + MONTH + HOUR).toISOString() });
    await cache.put([behind, ahead]);
    for (const e of [behind, ahead]) {
      for (const key of [`${prefix}:t:t:entry:${encodeURIComponent(e.cacheId)}`, `${prefix}:loc:${encodeURIComponent(e.cacheId)}`]) {
        const ttl = await admin.pttl(key);
        assert.ok(ttl > HOUR - 60_000 && ttl <= HOUR, `${key} expires in ${ttl} ms: the entry's hour`);
      }
    }
    // Reads judge by the database time they are given.
    assert.deepEqual(ids(await cache.get({ tenantId: 't', cacheId: behind.cacheId }, new Date(Date.parse(behind.createdAt) + 60_000))), [behind.cacheId]);
    assert.equal(await cache.purgeExpired(new Date(Date.parse(behind.createdAt) + 60_000)), 0);
    assert.equal(await cache.purgeExpired(new Date(Date.parse(behind.expiresAt))), 1);
  });

  it('deletes entries by id, with their index members', async () => {
    const keep = entry({ tenantId: 't1', sessionId: 's' });
    const drop1 = entry({ tenantId: 't1', sessionId: 's' });
    const drop2 = entry({ tenantId: 't2', sessionId: 'x' });
    await cache.put([keep, drop1, drop2]);
    await cache.delete([drop1.cacheId, drop2.cacheId, 'cache_unknown']);
    const now = new Date();
    assert.deepEqual(ids(await cache.get({ tenantId: ANY_TENANT }, now)), [keep.cacheId]);
    assert.deepEqual(await cache.get({ tenantId: 't2' }, now), []);
    assert.deepEqual(await cache.get({ tenantId: 't1', cacheId: drop1.cacheId }, now), []);
    assert.ok((await keys()).every((k) => !k.includes(drop1.cacheId) && !k.includes(drop2.cacheId)));
    assert.equal(await admin.zscore(`${prefix}:t:t1:ids`, drop1.cacheId), null);
    await cache.delete([keep.cacheId]);
    await cache.delete([]);
    assert.deepEqual(await keys(), []); // emptied sorted sets vanish
  });

  it('purgeExpired removes entries expired as of `now` and says how many', async () => {
    const start = Date.now();
    const e1 = entry({ tenantId: 't1', sessionId: 's' }, HOUR);
    const e2 = entry({ tenantId: 't1', sessionId: 's' }, 2 * HOUR);
    const e3 = entry({ tenantId: 't2', sessionId: 's' }, 3 * HOUR);
    await cache.put([e1, e2, e3]);
    assert.equal(await cache.purgeExpired(new Date(start)), 0);
    assert.equal(await cache.purgeExpired(new Date(start + 1.5 * HOUR)), 1);
    assert.equal(await cache.purgeExpired(new Date(start + 1.5 * HOUR)), 0);
    assert.deepEqual(ids(await cache.get({ tenantId: ANY_TENANT }, new Date(start))), [e2.cacheId, e3.cacheId]);
    assert.equal(await admin.zscore(`${prefix}:t:t1:s:s:ids`, e1.cacheId), null);
    assert.equal(await cache.purgeExpired(new Date(start + 4 * HOUR)), 2);
    assert.deepEqual(await keys(), []);
  });

  it('caches an execution\'s artifacts through the runtime, visible to its tenant only', async () => {
    const t = await testRuntime({
      cache,
      now: () => new Date(Date.now() + 31 * 24 * HOUR), // a host clock a month fast: expiry is the database's time all the same
      solutionConfig: MVP_CONFIG, // persists everything…
      governance: [{ id: 'visuals-cached', match: { resultType: ['visual'] }, decision: 'cache', ttlSeconds: 600 }], // …but visuals
    });
    try {
      const tenantId = uid('acme');
      const sessionId = uid('s');
      const from = await dbTime(t.db);
      const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId, parameters: { sop_text: SOP_TEXT } });
      const to = await dbTime(t.db);
      assert.equal(result.status, 'completed');
      const visual = result.artifacts.find((a) => a.key === 'visual')!;
      const expires = Date.parse(visual.expiresAt!) - 600_000;
      assert.ok(expires >= from - 2000 && expires <= to + 2000, `expiresAt ${visual.expiresAt} is the database's time + 10m (give or take the clock reading's round trip)`);
      assert.equal(visual.decision, 'cache');
      assert.equal(result.artifacts.find((a) => a.key === 'workflow')!.decision, 'persist');

      const cached = await t.runtime.getCached({ tenantId, sessionId });
      assert.deepEqual(cached.map((e) => [e.artifactKey, e.cacheId, e.expiresAt, e.executionId]), [
        ['visual', visual.cacheId, visual.expiresAt, result.executionId],
      ]);
      const direct = (await directResult(journey, 'sop_to_workflow', { sop_text: SOP_TEXT })).artifacts.find((a) => a.key === 'visual')!;
      assert.deepEqual(
        cached[0]!.renderings.map((r) => [r.name, r.contentType, hex(r.bytes)]),
        direct.renderings.map((r) => [r.name, r.contentType, hex(r.bytes)]),
      );
      // It lives in Redis, with its TTL.
      const key = `${prefix}:t:${encodeURIComponent(tenantId)}:entry:${encodeURIComponent(visual.cacheId!)}`;
      assert.equal(await admin.exists(key), 1);
      const ttl = await admin.pttl(key);
      assert.ok(ttl > 590_000 && ttl <= 600_000, `ttl ${ttl}`);

      assert.deepEqual(await t.runtime.getCached({ tenantId: uid('other'), sessionId }), []);
      assert.deepEqual(await t.runtime.getCached({ tenantId: uid('other'), cacheId: visual.cacheId! }), []);
    } finally {
      await t.close();
    }
  });
});

describe('RedisCache errors', () => {
  it('reads its timeouts with the duration parser: a ConfigError naming the option, before any connection', () => {
    assert.throws(() => new RedisCache({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 0 }), (err: unknown) =>
      err instanceof ConfigError && err.message === 'RedisCache connectTimeoutMs: expected a duration like 200ms, 30s, 15m, 1h or 7d (or milliseconds), got 0');
    assert.throws(() => new RedisCache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 3e9 }), {
      message: 'RedisCache commandTimeoutMs: 3000000000 is longer than the maximum of 24d (the longest timer)',
    });
  });

  it('fails fast with a StoreError naming the URL when Redis is unreachable', async () => {
    const started = Date.now();
    await assert.rejects(RedisCache.connect({ url: 'redis://127.0.0.1:1' }), (err: Error) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.match(err.message, /redis:\/\/127\.0\.0\.1:1\b.*ECONNREFUSED/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  it('gives up on a server that accepts but never answers, within connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      const started = Date.now();
      await assert.rejects(RedisCache.connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }), (err: Error) => {
        assert.ok(err instanceof StoreError, String(err));
        assert.match(err.message, /no answer within 500 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 3000);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('never echoes a password', async () => {
    await assert.rejects(RedisCache.connect({ url: 'redis://user:sekret@127.0.0.1:1' }), (err: Error) => {
      assert.ok(err instanceof StoreError);
      assert.match(err.message, /redis:\/\/127\.0\.0\.1:1/);
      assert.doesNotMatch(err.message, /sekret|user:/);
      return true;
    });
    for (const url of ['http://user:sekret@127.0.0.1:6379', 'user:sekret@127.0.0.1:6379']) {
      assert.throws(() => new RedisCache({ url }), (err: Error) => err instanceof ConfigError && !err.message.includes('sekret'));
    }
  });

  it('rejects a URL that is not redis:// or rediss:// with a ConfigError naming it', () => {
    for (const url of ['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis//127.0.0.1', 'redis://', '']) {
      assert.throws(() => new RedisCache({ url }), (err: Error) => {
        assert.ok(err instanceof ConfigError, `${url}: ${String(err)}`);
        assert.ok(err.message.includes(`'${url}'`), err.message);
        return true;
      });
    }
    assert.throws(() => new RedisCache({ url: SERVICES.redis, keyPrefix: '' }), ConfigError);
  });
});

describe('RedisCache against a Redis with the wrong password', { skip }, () => {
  it('reports the failure without the password', async () => {
    const url = new URL(SERVICES.redis);
    url.username = 'nobody';
    url.password = 'sekret';
    await assert.rejects(RedisCache.connect({ url: url.href }), (err: Error) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.doesNotMatch(err.message, /sekret/);
      return true;
    });
  });
});

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { journey } from '../../src/examples/realms.ts';
import { parseSolutionConfig } from '../../src/index.ts';
import { elapse } from '../support/database-time.ts';
import { SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { count, directResult, filesUnder, uid } from './helpers.ts';

const CONFIG = parseSolutionConfig({
  materialization_policy: { visual: { decision: 'cache', cache_ttl: '10m' }, workflow: 'cache' },
  cache_ttl: '1h',
});
const MINUTE = 60_000;

describe('cache decisions', () => {
  let t: TestRuntime;
  const tenantId = uid('cache');
  const sessionId = uid('s');
  const execute = () =>
    t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId, parameters: { sop_text: SOP_TEXT } });

  beforeEach(async () => {
    t = await testRuntime({ solutionConfig: CONFIG });
  });
  afterEach(() => t?.close());

  it('returns a cache id and expiresAt = now + the type TTL, and keeps the renderings until then', async () => {
    const result = await execute();
    assert.equal(result.status, 'completed');
    const visual = result.artifacts.find((a) => a.key === 'visual')!;
    const workflow = result.artifacts.find((a) => a.key === 'workflow')!;
    for (const o of [visual, workflow]) {
      assert.equal(o.decision, 'cache');
      assert.equal(o.layer, 'solution');
      assert.equal(o.policyVersion, t.runtime.policy.version);
      assert.match(o.cacheId ?? '', /^cache_/);
      assert.equal(o.stored, true);
      assert.equal(o.artifactId, undefined);
    }
    assert.notEqual(visual.cacheId, workflow.cacheId);

    // Cached, not persisted: no blob, no index row.
    assert.deepEqual(await filesUnder(t.blobRoot), []);
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts'), 0);

    const cached = await t.runtime.getCached({ tenantId, sessionId });
    assert.deepEqual(cached.map((e) => e.artifactKey).sort(), ['visual', 'workflow']);
    const direct = await directResult(journey, 'sop_to_workflow', { sop_text: SOP_TEXT });
    for (const entry of cached) {
      const o = entry.artifactKey === 'visual' ? visual : workflow;
      // expiresAt = createdAt + the type's TTL, both by the database's clock (the deadline rounds up).
      const ttl = Date.parse(entry.expiresAt) - Date.parse(entry.createdAt);
      const want = (entry.artifactKey === 'visual' ? 10 : 60) * MINUTE;
      assert.ok(ttl >= want && ttl < want + 5000, `${entry.artifactKey}: ${ttl} ms`);
      assert.equal(entry.cacheId, o.cacheId);
      assert.equal(entry.expiresAt, o.expiresAt);
      assert.equal(entry.executionId, result.executionId);
      assert.equal(entry.tenantId, tenantId);
      assert.equal(entry.resultType, entry.artifactKey);
      const expected = direct.artifacts.find((a) => a.key === entry.artifactKey)!;
      assert.deepEqual(
        entry.renderings.map((r) => ({ name: r.name, contentType: r.contentType, bytes: Buffer.from(r.bytes).toString('hex') })),
        expected.renderings.map((r) => ({ name: r.name, contentType: r.contentType, bytes: Buffer.from(r.bytes).toString('hex') })),
      );
    }
    // Lookups narrow by cache id and artifact key.
    assert.deepEqual((await t.runtime.getCached({ tenantId, cacheId: visual.cacheId! })).map((e) => e.artifactKey), ['visual']);
    assert.deepEqual((await t.runtime.getCached({ tenantId, executionId: result.executionId, artifactKey: 'workflow' })).map((e) => e.cacheId), [workflow.cacheId]);

    // The decision records the TTL and the cache id.
    const decisions = await t.runtime.listWal({ tenantId, executionId: result.executionId, recordType: 'governance_decision' });
    const byKey = Object.fromEntries(decisions.map((d) => [d.payload.artifactKey, d.payload]));
    assert.equal(byKey.visual!.ttlSeconds, 600);
    assert.equal(byKey.workflow!.ttlSeconds, 3600);
    assert.deepEqual(byKey.visual!.outcome, { stored: true, cacheId: visual.cacheId, expiresAt: visual.expiresAt });
  });

  it('cached renderings disappear once their TTL has passed', async () => {
    const result = await execute();
    await elapse(t.db, 10 * 60 - 60);
    assert.deepEqual((await t.runtime.getCached({ tenantId, sessionId })).map((e) => e.artifactKey).sort(), ['visual', 'workflow']);
    await elapse(t.db, 61);
    assert.deepEqual((await t.runtime.getCached({ tenantId, sessionId })).map((e) => e.artifactKey), ['workflow']);
    await elapse(t.db, 50 * 60);
    assert.deepEqual(await t.runtime.getCached({ tenantId, sessionId }), []);
    assert.deepEqual(await t.runtime.getCached({ tenantId, executionId: result.executionId }), []);
    // The semantic payloads outlive the cache.
    const e = await t.runtime.getExecution(result.executionId, { tenantId });
    assert.deepEqual(Object.keys((e.state as { semantic: object }).semantic).sort(), ['visual', 'workflow']);
  });

  it('another tenant cannot see the cached renderings, even with the same session id', async () => {
    const result = await execute();
    assert.equal(result.status, 'completed');
    assert.equal((await t.runtime.getCached({ tenantId, sessionId })).length, 2);
    const other = uid('other');
    assert.deepEqual(await t.runtime.getCached({ tenantId: other, sessionId }), []);
    assert.deepEqual(await t.runtime.getCached({ tenantId: other, executionId: result.executionId }), []);
    assert.deepEqual(await t.runtime.getCached({ tenantId: other, cacheId: result.artifacts[0]!.cacheId! }), []);
    assert.deepEqual(await t.runtime.getCached({ tenantId, sessionId: uid('other-session') }), []);
  });
});

it('a cache entry commits with its execution: none is left when the completion rolls back', async () => {
  const t = await testRuntime({
    solutionConfig: CONFIG,
    faults: { beforeCompleteCommit: () => { throw new Error('crash before commit'); } },
  });
  try {
    const tenantId = uid('cache-rb');
    const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
    assert.equal(result.status, 'failed');
    assert.deepEqual(await t.runtime.getCached({ tenantId }), []);
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.cache_entries'), 0);
  } finally {
    await t.close();
  }
});

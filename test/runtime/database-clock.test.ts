import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime, FsBlobStore, type Db, type GovernanceRule, type Runtime, type RuntimeOptions } from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { PgDb } from '../../src/db/pg/pg-db.ts';
import { DatabaseClock } from '../../src/db/database-clock.ts';
import { dbTime, eventually } from '../support/database-time.ts';
import { freshDb, silentLogger, SOP_TEXT, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

const DAY = 86_400;
const HOUR = 3600;
/** Host clocks a month off the database's: the stand-in for a badly set server. */
const FAST = () => new Date(Date.now() + 31 * DAY * 1000);
const SLOW = () => new Date(Date.now() - 31 * DAY * 1000);

const rules = (retentionSeconds: number, ttlSeconds: number): GovernanceRule[] => [
  { id: 'keep-workflows', match: { resultType: ['workflow'] }, decision: 'persist', retentionSeconds },
  { id: 'cache-visuals', match: { resultType: ['visual'] }, decision: 'cache', ttlSeconds },
];
const sop = (tenantId: string) => ({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });

/**
 * A second runtime on the test runtime's database, with its own host clock:
 * on PostgreSQL through its own connection pool (another host), on PGlite
 * over the same embedded instance (the one process that can open it).
 */
async function secondRuntime(t: TestRuntime, options: RuntimeOptions): Promise<Runtime & { closeAll(): Promise<void> }> {
  let db: Db = t.db;
  let own: PgDb | undefined;
  if (TEST_DRIVER === 'postgres') db = own = await PgDb.open({ url: (t.db as unknown as { url: string }).url });
  const runtime = await createRuntime({
    db, blobStore: new FsBlobStore({ root: t.blobRoot, fsync: false }), realms: [...exampleRealms], logger: silentLogger, ...options,
  });
  return Object.assign(runtime, {
    async closeAll() {
      await runtime.close();
      await own?.close();
    },
  });
}

/**
 * Asserts `at` (ISO) is `offsetSeconds` after a database time in [from, to], allowing `slackMs` for the
 * clock reading's round trip (a busy machine can stretch it; a month of skew is what this rules out).
 */
function assertAfter(at: string, offsetSeconds: number, from: number, to: number, what: string, slackMs = 2000): void {
  const ms = Date.parse(at) - offsetSeconds * 1000;
  assert.ok(ms >= from - slackMs && ms <= to + slackMs, `${what}: ${at} is ${offsetSeconds} s after the database's time (${new Date(from).toISOString()}…${new Date(to).toISOString()})`);
}

describe(`the database's clock decides every deadline (${TEST_DRIVER})`, () => {
  it('a host whose clock is 31 days fast deletes nothing before its time and purges no live cache entry', async () => {
    const t = await testRuntime({ governance: rules(30 * DAY, HOUR) });
    const fast = await secondRuntime(t, { governance: rules(30 * DAY, HOUR), now: FAST, sweepIntervalSeconds: 0.2, cachePurgeIntervalSeconds: 0.2 });
    try {
      const [honest, skewed] = [uid('honest'), uid('skewed')];
      const from = await dbTime(t.db);
      const runs = [await t.runtime.execute(sop(honest)), await fast.execute(sop(skewed))];
      const to = await dbTime(t.db);
      for (const [run, tenantId] of [[runs[0]!, honest], [runs[1]!, skewed]] as const) {
        const workflow = await t.runtime.getArtifact(run.artifacts.find((a) => a.key === 'workflow')!.artifactId!, { tenantId });
        assertAfter(workflow.createdAt, 0, from, to, `${tenantId} createdAt`);
        assertAfter(workflow.retainUntil!, 30 * DAY, from, to, `${tenantId} retainUntil`);
        const visual = run.artifacts.find((a) => a.key === 'visual')!;
        assertAfter(visual.expiresAt!, HOUR, from, to, `${tenantId} cache expiresAt`);
      }

      // The fast host sweeps (by hand and on its 0.2 s timers) a month "after" everything was made.
      const report = await fast.sweep();
      assert.deepEqual([report.deleted, report.cacheEntriesExpired], [[], 0]);
      await new Promise((r) => setTimeout(r, 1000));
      for (const [rt, tenantId] of [[t.runtime, honest], [fast, honest], [t.runtime, skewed]] as const) {
        assert.deepEqual((await rt.getCached({ tenantId })).map((e) => e.artifactKey), ['visual'], `${tenantId}'s cache entry is live`);
        assert.ok((await rt.listArtifacts({ tenantId })).every((a) => a.deleted === null), `${tenantId}'s artifacts are kept`);
      }
      assert.deepEqual(await t.runtime.listWal({ tenantId: honest, recordType: 'artifact_deleted' }), []);

      // Its stamps are the database's time too: a legal hold, an erasure and its tombstones.
      const id = runs[0]!.artifacts.find((a) => a.key === 'workflow')!.artifactId!;
      const beforeHold = await dbTime(t.db);
      const held = await fast.holdArtifact(id, { tenantId: honest }, 'case 7');
      await fast.releaseArtifact(id, { tenantId: honest });
      const erased = await fast.erase({ tenantId: skewed });
      const afterErase = await dbTime(t.db);
      assertAfter(held.legalHold!.since, 0, beforeHold, afterErase, 'legal hold');
      assertAfter(erased.at, 0, beforeHold, afterErase, 'erasure');
      const tomb = (await t.runtime.listArtifacts({ tenantId: skewed })).find((a) => a.deleted)!;
      assertAfter(tomb.deleted!.at, 0, beforeHold, afterErase, 'tombstone');
    } finally {
      await fast.closeAll();
      await t.close();
    }
  });

  it("a host whose clock is 31 days slow keeps nothing past one sweep interval after its deadline, another host's artifacts included", async () => {
    const t = await testRuntime({ governance: rules(1, 1) });
    const slow = await secondRuntime(t, { governance: rules(1, 1), now: SLOW, sweepIntervalSeconds: 0.5, cachePurgeIntervalSeconds: 0.5 });
    try {
      const tenantId = uid('slow');
      for (const rt of [t.runtime, slow]) {
        const run = await rt.execute(sop(tenantId));
        const artifactId = run.artifacts.find((a) => a.key === 'workflow')!.artifactId!;
        const cacheId = run.artifacts.find((a) => a.key === 'visual')!.cacheId!;
        const deleted = await eventually('the slow host sweeps the artifact', async () => (await t.runtime.getArtifact(artifactId, { tenantId })).deleted ?? undefined, { timeoutMs: 20_000 });
        const { retainUntil } = await t.runtime.getArtifact(artifactId, { tenantId });
        const late = Date.parse(deleted.at) - Date.parse(retainUntil!);
        // Never early; late by one interval (0.5 s) plus however long a busy machine delays a timer —
        // not by the month a sweep on the host's clock would wait.
        assert.ok(late >= 0 && late < 10_000, `deleted ${late} ms after its deadline`);
        await eventually('the slow host purges the expired cache entry', async () =>
          (await t.db.scoped(tenantId).query('SELECT 1 FROM symphainy.cache_entries WHERE cache_id = $1', [cacheId])).length === 0 ? true : undefined,
        { timeoutMs: 20_000 });
      }
    } finally {
      await slow.closeAll();
      await t.close();
    }
  });

  it('DatabaseClock: now() is never after the database time, deadline() never before it', async () => {
    const db = await freshDb();
    const clock = await new DatabaseClock(db, { resampleMs: 50 }).start();
    try {
      for (let i = 0; i < 20; i++) {
        const before = await dbTime(db);
        const now = clock.now().getTime();
        const deadline = clock.deadline(2).getTime();
        const after = await dbTime(db);
        assert.ok(now <= Math.ceil(after), `now() ${now} <= database ${after}`);
        assert.ok(deadline >= Math.floor(before) + 2000, `deadline(2) ${deadline} >= database ${before} + 2 s`);
        if (i % 5 === 4) await new Promise((r) => setTimeout(r, 60)); // across a resample
      }
      assert.throws(() => new DatabaseClock(db).now(), /before start/);
    } finally {
      clock.stop();
      await db.close();
    }
  });
});

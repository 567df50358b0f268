import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ANY_TENANT, ConflictError, createRuntime, FsBlobStore, InvalidRequestError, NotFoundError, type GovernanceRule } from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { dbTime, elapse } from '../support/database-time.ts';
import { silentLogger, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

const DAY = 86_400;
const KEEP_A_DAY: GovernanceRule[] = [
  { id: 'keep-a-day', match: { resultType: ['workflow', 'visual'] }, decision: 'persist', retentionSeconds: DAY },
];

/** A runtime whose deadlines the test moves ({@link elapse}); renderings in the blob store unless `inline`. */
async function clocked(inline = false) {
  const t = await testRuntime({ governance: KEEP_A_DAY, ...(inline ? {} : { inlineMaxBytes: 0 }) });
  return { t, advance: (seconds: number) => elapse(t.db, seconds) };
}

/** Asserts `at` is the database's time between `from` and now (give or take the clock reading's round trip). */
async function assertDbTimeSince(db: Parameters<typeof dbTime>[0], at: string, from: number): Promise<void> {
  const ms = Date.parse(at);
  assert.ok(ms >= from - 2000 && ms <= (await dbTime(db)) + 2000, `${at} is database time`);
}

const exists = (path: string) => access(path).then(() => true, () => false);
const sop = (tenantId: string) => ({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });

describe('retention and legal hold', () => {
  it('persisted artifacts get retainUntil from the deciding layer; the sweep deletes their renderings after it, leaving a tombstone and a WAL record', async () => {
    const { t, advance } = await clocked();
    try {
      const tenantId = uid('ret');
      const before = await dbTime(t.db);
      const result = await t.runtime.execute(sop(tenantId));
      const workflow = await t.runtime.getArtifact(result.artifacts.find((a) => a.key === 'workflow')!.artifactId!, { tenantId });
      await assertDbTimeSince(t.db, workflow.createdAt, before);
      // A day after it was made, by the database's clock (the deadline rounds up, never down).
      const kept = Date.parse(workflow.retainUntil!) - Date.parse(workflow.createdAt);
      assert.ok(kept >= DAY * 1000 && kept < DAY * 1000 + 5000, `retainUntil is createdAt + 1d, up to the clock reading's round trip (${kept} ms)`);
      const blob = join(t.blobRoot, ...workflow.renderings[0]!.path.split('/'));
      assert.ok(await exists(blob));

      await advance(DAY - 60);
      assert.deepEqual((await t.runtime.sweep()).deleted, [], 'not yet');
      await advance(60);
      const swept = await dbTime(t.db);
      const report = await t.runtime.sweep();
      assert.deepEqual(report.deleted.map((d) => d.artifactId).sort(), result.artifacts.map((a) => a.artifactId!).sort());
      assert.deepEqual(report.failures, []);

      const tomb = await t.runtime.getArtifact(workflow.artifactId, { tenantId });
      assert.equal(tomb.deleted?.reason, 'retention');
      await assertDbTimeSince(t.db, tomb.deleted!.at, swept);
      assert.equal(await exists(blob), false, 'the rendering bytes are gone');
      assert.equal(await exists(join(t.blobRoot, ...workflow.storagePath.split('/'))), false, 'the manifest is gone');
      await assert.rejects(t.runtime.readRendering(workflow.artifactId, workflow.renderings[0]!.name, { tenantId }),
        (err: unknown) => err instanceof NotFoundError && /was deleted \(retention\)/.test(err.message));
      const records = await t.runtime.listWal({ tenantId, recordType: 'artifact_deleted' });
      assert.deepEqual(records.map((r) => r.payload.artifactId).sort(), report.deleted.map((d) => d.artifactId).sort());
      assert.ok((await t.runtime.verifyWal({ tenantId })).every((r) => r.ok));
      assert.deepEqual((await t.runtime.sweep()).deleted, [], 'a second sweep finds nothing');
    } finally {
      await t.close();
    }
  });

  it('renderings kept in the database go with the sweep too; content a live artifact shares stays', async () => {
    const { t, advance } = await clocked(true);
    try {
      const tenantId = uid('inline');
      const first = await t.runtime.execute(sop(tenantId));
      await advance(12 * 3600);
      const second = await t.runtime.execute(sop(tenantId)); // same bytes: one row of content
      const wf = async (r: typeof first) => t.runtime.getArtifact(r.artifacts.find((a) => a.key === 'workflow')!.artifactId!, { tenantId });
      const [a, b] = [await wf(first), await wf(second)];
      assert.match(a.renderings[0]!.path, /^inline:tenants\//, 'a small rendering is kept in the database');
      assert.match(a.storagePath, /^inline:/, 'no manifest file: the index row is the manifest');
      assert.equal(a.renderings[0]!.sha256, b.renderings[0]!.sha256);
      const rows = (sha: string) => t.db.scoped(tenantId).query('SELECT 1 FROM symphainy.artifact_contents WHERE tenant_id = $1 AND sha256 = $2', [tenantId, sha]);
      assert.equal((await rows(a.renderings[0]!.sha256)).length, 1);

      await advance(13 * 3600); // the first is past retention, the second not
      assert.equal((await t.runtime.sweep()).deleted.length, first.artifacts.length);
      assert.equal((await rows(a.renderings[0]!.sha256)).length, 1, 'shared with a live artifact: kept');
      const read = await t.runtime.readRendering(b.artifactId, b.renderings[0]!.name, { tenantId });
      assert.ok(read.bytes.byteLength > 0);

      await advance(DAY);
      await t.runtime.sweep();
      assert.equal((await rows(a.renderings[0]!.sha256)).length, 0, 'no live artifact uses it: gone');
      assert.equal((await t.runtime.listArtifacts({ tenantId })).filter((x) => !x.deleted).length, 0);
    } finally {
      await t.close();
    }
  });

  it('a legal hold beats retention until released, and both are recorded', async () => {
    const { t, advance } = await clocked();
    try {
      const tenantId = uid('hold');
      const result = await t.runtime.execute(sop(tenantId));
      const id = result.artifacts.find((a) => a.key === 'workflow')!.artifactId!;
      const before = await dbTime(t.db);
      const held = await t.runtime.holdArtifact(id, { tenantId }, 'case 2026-17');
      assert.equal(held.legalHold?.reason, 'case 2026-17');
      await assertDbTimeSince(t.db, held.legalHold!.since, before);
      await advance(2 * DAY);
      const report = await t.runtime.sweep();
      assert.deepEqual(report.held, [{ artifactId: id, tenantId, reason: 'case 2026-17' }]);
      assert.ok(!report.deleted.some((d) => d.artifactId === id));
      assert.ok((await t.runtime.readRendering(id, held.renderings[0]!.name, { tenantId })).bytes.byteLength > 0, 'still readable');

      await t.runtime.releaseArtifact(id, { tenantId });
      const after = await t.runtime.sweep();
      assert.deepEqual(after.deleted.map((d) => d.artifactId), [id]);
      const holds = await t.runtime.listWal({ tenantId, recordType: 'legal_hold' });
      assert.deepEqual(holds.map((r) => r.payload.action), ['hold', 'release']);
    } finally {
      await t.close();
    }
  });

  it('refuses what makes no sense, naming it; another tenant cannot hold or release', async () => {
    const { t, advance } = await clocked();
    try {
      const tenantId = uid('refuse');
      const result = await t.runtime.execute(sop(tenantId));
      const id = result.artifacts[0]!.artifactId!;
      await assert.rejects(t.runtime.holdArtifact(id, { tenantId }, '  '), InvalidRequestError);
      await assert.rejects(t.runtime.releaseArtifact(id, { tenantId }), (err: unknown) => err instanceof ConflictError && /no legal hold/.test(err.message));
      await assert.rejects(t.runtime.holdArtifact(id, { tenantId: 'someone-else' }, 'x'), NotFoundError);
      await advance(2 * DAY);
      await t.runtime.sweep();
      await assert.rejects(t.runtime.holdArtifact(id, { tenantId }, 'too late'), (err: unknown) => err instanceof ConflictError && /was deleted \(retention\)/.test(err.message));
    } finally {
      await t.close();
    }
  });

  it('content another live artifact of the tenant shares is kept; a failed blob removal is retried by the next sweep', async () => {
    let failDeletes = 0;
    class FlakyDeletes extends FsBlobStore {
      override async delete(key: string): Promise<void> {
        if (failDeletes > 0) {
          failDeletes--;
          throw new Error('bucket unavailable');
        }
        return super.delete(key);
      }
    }
    const t = await testRuntime({ governance: KEEP_A_DAY });
    const store = new FlakyDeletes({ root: t.blobRoot, fsync: false });
    await t.runtime.close();
    const runtime = await createRuntime({ db: t.db, blobStore: store, realms: exampleRealms, governance: KEEP_A_DAY, logger: silentLogger, inlineMaxBytes: 0 });
    try {
      const tenantId = uid('shared');
      const first = await runtime.execute(sop(tenantId));
      await elapse(t.db, 12 * 3600);
      const second = await runtime.execute(sop(tenantId)); // same bytes: same content address
      const keyOf = async (r: typeof first) => (await runtime.getArtifact(r.artifacts.find((a) => a.key === 'workflow')!.artifactId!, { tenantId })).renderings[0]!.path;
      assert.equal(await keyOf(first), await keyOf(second));
      await elapse(t.db, 13 * 3600); // the first is past retention, the second not
      failDeletes = 1;
      const report = await runtime.sweep();
      assert.equal(report.deleted.length, 2);
      assert.equal(report.failures.length, 1);
      assert.match(report.failures[0]!.message, /bucket unavailable/);
      const retry = await runtime.sweep();
      assert.deepEqual(retry.failures, []);
      assert.equal((await runtime.listArtifacts({ tenantId: ANY_TENANT })).filter((a) => a.deleted).length, 2);
      const wf = second.artifacts.find((a) => a.key === 'workflow')!.artifactId!;
      const bytes = await runtime.readRendering(wf, (await runtime.getArtifact(wf, { tenantId })).renderings[0]!.name, { tenantId });
      assert.ok(bytes.bytes.byteLength > 0, "the live artifact's shared content is still there");
    } finally {
      await runtime.close();
      await t.close();
    }
  });
});

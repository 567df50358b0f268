import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PgliteDb } from '../../src/store/pglite/pglite-db.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';
import { runTraced, skipUnlessStrace, syncsBeforeAnswer, unsyncedAtAnswer, type TracedRun } from '../support/strace.ts';

/**
 * An acknowledged embedded commit is on the disk before it is acknowledged:
 * the processes run under strace, and every WAL segment written before the
 * answer reached stdout was fdatasync'ed (or fsync'ed) after its last write
 * and before that answer. What is not on the disk is lost by an OS crash or
 * power loss; what is there survives it (PostgreSQL replays the WAL).
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');
const child = join(root, 'test/support/durable-commit-child.ts');
/** A WAL segment file (not the directory, not archive_status). */
const WAL_SEGMENT = /\/pg_wal\/[0-9A-F]{24}$/;

// The embedded store only: under the PostgreSQL driver the server's own fsync is its business.
const skip = TEST_DRIVER === 'postgres' ? 'the embedded store only' : skipUnlessStrace();

function describeUnsynced(run: TracedRun): string {
  const unsynced = unsyncedAtAnswer(run.calls, WAL_SEGMENT);
  return [...unsynced].map(([path, writes]) => `${path}: ${writes} writes`).join('; ');
}

describe('embedded commits are synced before they are acknowledged', { skip, timeout: 600_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-durability-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('symphainy run on a new data dir: WAL fdatasync before the JSON answer, and the new cluster synced', async () => {
    const dataDir = join(dir, 'cli');
    const run = await runTraced(process.execPath, [
      bin, '--data-dir', dataDir, 'run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's1',
      '--params-file', 'examples/sop_to_workflow.json', '--config', 'config/mvp_materialization_policy.yaml', '--json',
    ], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { status: string; executionId: string; artifacts: { stored?: boolean }[] };
    assert.equal(answer.status, 'completed');

    assert.equal(describeUnsynced(run), '', 'WAL written before the answer but not synced');
    const walSyncs = syncsBeforeAnswer(run.calls, WAL_SEGMENT);
    assert.ok(walSyncs.length > 0, 'no WAL segment was synced before the answer');
    assert.ok(walSyncs.every((c) => c.kind === 'sync' && (c.call === 'fdatasync' || c.call === 'fsync')));
    // The cluster initdb wrote (unsynced) was flushed, its directories too, and the data dir's own entry.
    const db = join(dataDir, 'db');
    for (const path of [join(db, 'PG_VERSION'), join(db, 'global', 'pg_control'), join(db, 'pg_wal'), db, dataDir]) {
      assert.ok(syncsBeforeAnswer(run.calls, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)).length > 0, `${path} not synced before the answer`);
    }

    // Again on the now existing data dir: the commits of a second run are synced just the same.
    const again = await runTraced(process.execPath, [
      bin, '--data-dir', dataDir, 'run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's2',
      '--params-file', 'examples/sop_to_workflow.json', '--config', 'config/mvp_materialization_policy.yaml', '--json',
    ], { cwd: root });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { status: string }).status, 'completed');
    assert.equal(describeUnsynced(again), '', 'WAL written before the answer but not synced');
    assert.ok(syncsBeforeAnswer(again.calls, WAL_SEGMENT).length > 0);

    const reopened = await PgliteDb.open({ dataDir: db });
    try {
      const rows = await reopened.query<{ status: string }>('SELECT status FROM symphainy.executions WHERE execution_id = $1', [answer.executionId]);
      assert.deepEqual(rows, [{ status: 'completed' }]);
    } finally {
      await reopened.close();
    }
  });

  test('a group-commit batch through the library: one sync covers many executions, all before the acknowledgement', async () => {
    const dataDir = join(dir, 'library', 'db');
    const run = await runTraced(process.execPath, ['--import', 'tsx', child, dataDir, 'fsync', '24'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    const ack = JSON.parse(run.stdout) as { executionIds: string[]; syncs: number };
    assert.equal(ack.executionIds.length, 24);
    assert.equal(describeUnsynced(run), '', 'WAL written before the acknowledgement but not synced');
    // Shared commits, shared syncs: without group commit every execution commits (and syncs) at least twice.
    assert.ok(ack.syncs > 0 && ack.syncs < 24, `syncs for 24 concurrent executions: ${ack.syncs}`);
  });

  test("durability 'none' acknowledges WAL the disk does not have yet (the check above can fail)", async () => {
    const dataDir = join(dir, 'none', 'db');
    const run = await runTraced(process.execPath, ['--import', 'tsx', child, dataDir, 'none', '4'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    assert.notEqual(describeUnsynced(run), '', 'with durability none the WAL is expected unsynced at the acknowledgement');
    assert.equal((JSON.parse(run.stdout) as { syncs: number }).syncs, 0);
  });
});

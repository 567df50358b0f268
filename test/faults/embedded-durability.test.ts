import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { ANY_TENANT } from '../../src/db/tenant-scope.ts';
import { verifyWal } from '../../src/store/wal-verify.ts';
import { rebuildAtAnswer } from '../support/power-loss.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';
import { runTraced, skipUnlessStrace, syncsBeforeAnswer, unsyncedAtAnswer, unsyncedAcross, type TracedRun } from '../support/strace.ts';

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

  test('a checkpoint syncs the data files before it completes; a new WAL segment is synced with its directory before use', async () => {
    const dataDir = join(dir, 'checkpoint', 'db');
    // An existing cluster (a new one is synced as a whole once it started, see the first test).
    const made = spawnSync(process.execPath, ['--import', 'tsx', child, dataDir, 'fsync', '1'], { cwd: root, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const run = await runTraced(process.execPath, ['--import', 'tsx', child, dataDir, 'fsync', '8', 'checkpoint'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(describeUnsynced(run), '', 'WAL written before the acknowledgement but not synced');
    // A checkpoint ends by syncing pg_control; from then on WAL before its redo point may be recycled, so every
    // data file written before the checkpoint began must be on disk by then (later writes are covered by WAL after
    // the redo point). Its first step visible here is the sync of pg_logical/mappings. Not synced by PostgreSQL's
    // design, and rebuilt or unused after a crash: the relation-cache init files (pg_internal.init*) and pg_subtrans.
    const dataFiles = /\/db\/(base|global|pg_xact|pg_multixact|pg_commit_ts)\/(?!.*pg_internal\.init)(?!pg_control$)/;
    const begins = (c: { kind: string; path: string }) => c.kind === 'sync' && c.path.endsWith('/db/pg_logical/mappings');
    const ends = (c: { kind: string; path: string }) => c.kind === 'sync' && c.path.endsWith('/db/global/pg_control');
    const checkpoints = unsyncedAcross(run.calls, dataFiles, begins, ends);
    assert.ok(checkpoints.length >= 1, 'no checkpoint seen');
    assert.deepEqual(checkpoints.filter((d) => d.length > 0), [], 'data files written before a checkpoint, unsynced when it completed');
    const relationSyncs = run.calls.filter((c) => c.kind === 'sync' && /\/db\/base\/\d+\/\d+$/.test(c.path));
    assert.ok(relationSyncs.length > 0, 'the checkpoint synced no relation file');
    // pg_switch_wal: the new segment is prepared under a temporary name, synced, renamed, and pg_wal synced before it is written.
    const firstSegment = run.calls.find((c) => c.kind === 'write' && WAL_SEGMENT.test(c.path))?.path;
    const firstWriteOfSecond = run.calls.findIndex((c) => c.kind === 'write' && WAL_SEGMENT.test(c.path) && c.path !== firstSegment);
    const walDirSync = run.calls.findIndex((c) => c.kind === 'sync' && c.ok && /\/db\/pg_wal$/.test(c.path));
    assert.ok(firstWriteOfSecond > 0, 'no write to the second WAL segment');
    assert.ok(walDirSync >= 0 && walDirSync < firstWriteOfSecond, 'pg_wal not synced before the new segment was written');
  });

  /** Creates a cluster (synced, closed), copies it, runs `count` executions traced, and rebuilds the directory as a power cut at the acknowledgement leaves it. */
  async function powerCut(name: string, durability: 'fsync' | 'none', count: number) {
    const dataDir = join(dir, name, 'db');
    const made = spawnSync(process.execPath, ['--import', 'tsx', child, dataDir, 'fsync', '1'], { cwd: root, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    await cp(dataDir, join(dir, name, 'snapshot'), { recursive: true });
    const run = await runTraced(process.execPath, ['--import', 'tsx', child, dataDir, durability, String(count)], { cwd: root, withData: true });
    assert.equal(run.code, 0, run.stderr);
    const ack = JSON.parse(run.stdout) as { executionIds: string[] };
    const cut = join(dir, name, 'after-cut');
    const rebuilt = await rebuildAtAnswer({ raw: run.raw, dataDir, snapshot: join(dir, name, 'snapshot'), target: cut });
    // Opening it is crash recovery: PostgreSQL replays the WAL that reached the disk.
    const db = await PgliteDb.open({ dataDir: cut, durability: 'none' });
    try {
      const rows = await db.query<{ execution_id: string; status: string }>(
        'SELECT execution_id, status FROM symphainy.executions WHERE execution_id = ANY($1::text[])',
        [ack.executionIds],
      );
      const wal = await verifyWal(db, ANY_TENANT);
      return { ack, rows, wal, rebuilt };
    } finally {
      await db.close();
    }
  }

  test('a simulated power cut at the acknowledgement (unsynced writes dropped) keeps every acknowledged execution', async () => {
    const { ack, rows, wal, rebuilt } = await powerCut('power', 'fsync', 6);
    assert.ok(rebuilt.replayed > 0, 'nothing was synced before the answer');
    assert.deepEqual(rows.map((r) => r.status), ack.executionIds.map(() => 'completed'), `found ${JSON.stringify(rows)}`);
    assert.ok(wal.length > 0 && wal.every((r) => r.ok), `WAL chain: ${JSON.stringify(wal)}`);
  });

  test("the same power cut with durability 'none' loses acknowledged executions (the simulation can fail)", async () => {
    const { ack, rows } = await powerCut('power-none', 'none', 6);
    assert.ok(rows.length < ack.executionIds.length, `all ${ack.executionIds.length} survived without a single sync`);
  });

  test("durability 'none' acknowledges WAL the disk does not have yet (the check above can fail)", async () => {
    const dataDir = join(dir, 'none', 'db');
    const run = await runTraced(process.execPath, ['--import', 'tsx', child, dataDir, 'none', '4'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    assert.notEqual(describeUnsynced(run), '', 'with durability none the WAL is expected unsynced at the acknowledgement');
    assert.equal((JSON.parse(run.stdout) as { syncs: number }).syncs, 0);
  });
});

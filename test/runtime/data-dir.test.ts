import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exampleRealms } from '../../src/examples/realms.ts';
import { createRuntime, DataDirLockedError, type ExecutionResult, type Runtime } from '../../src/index.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { StateSurface } from '../../src/store/state-surface.ts';
import { WriteAheadLog } from '../../src/store/write-ahead-log.ts';
import { MVP_CONFIG, SOP_TEXT, silentLogger } from '../support/test-runtime.ts';
import { journeyOf } from './helpers.ts';

/**
 * One data dir through a whole life: open, execute, refuse a second opener,
 * close, simulate a process that died mid-execution, reopen. Opening an
 * embedded database on disk costs seconds, so the steps share one directory.
 */
describe('an embedded data dir', () => {
  let dir: string;
  let first: ExecutionResult;
  let reopened: Runtime | undefined;
  const tenantId = 'acme';
  const stuck = { executionId: randomUUID(), intentId: randomUUID() };
  const open = (lockWaitMs?: number) =>
    createRuntime({
      dataDir: dir, realms: exampleRealms, solutionConfig: MVP_CONFIG, logger: silentLogger,
      ...(lockWaitMs === undefined ? {} : { lockWaitMs }),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-datadir-'));
  });
  after(async () => {
    await reopened?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds a lock while open: a second runtime on it fails with DataDirLockedError', async () => {
    const rt = await open();
    try {
      assert.equal(rt.dataDir, dir);
      assert.equal((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.pid));
      first = await rt.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      assert.equal(first.status, 'completed');
      await assert.rejects(open(200), (err: unknown) => {
        assert.ok(err instanceof DataDirLockedError, String(err));
        assert.equal(err.code, 'SYM_ERR_DATA_DIR_LOCKED');
        assert.ok(err.message.includes(dir));
        return true;
      });
      // The refused opener did not disturb the holder.
      assert.equal((await rt.getExecution(first.executionId, { tenantId })).status, 'completed');
    } finally {
      await rt.close();
    }
    await assert.rejects(access(join(dir, 'lock')), 'close() releases the lock');
  });

  it('simulate a process that stopped mid-execution: a running execution is left in the database', async () => {
    const db = await PgliteDb.open({ dataDir: join(dir, 'db') });
    try {
      const at = new Date().toISOString();
      await db.transaction(async (tx) => {
        await new StateSurface(db).insertMany(tx, [{
          execution: {
            executionId: stuck.executionId, intentId: stuck.intentId, tenantId, sessionId: 's', intentType: 'journey.sop_to_workflow',
            realm: 'journey', parameters: { sop_text: SOP_TEXT }, policyVersion: first.policyVersion, intentCreatedAt: at,
          },
          status: 'running',
          at,
        }]);
        await new WriteAheadLog(db).append(tx, [
          { tenantId, executionId: stuck.executionId, intentId: stuck.intentId, recordType: 'intent', payload: {}, recordedAt: at },
          { tenantId, executionId: stuck.executionId, intentId: stuck.intentId, recordType: 'state_transition', payload: { from: 'accepted', to: 'running' }, recordedAt: at },
        ]);
      });
    } finally {
      await db.close();
    }
  });

  it('reopens with everything the first runtime committed, renderings included', async () => {
    reopened = await open(200); // the lock was released: no wait
    const e = await reopened.getExecution(first.executionId, { tenantId });
    assert.equal(e.status, 'completed');
    assert.deepEqual(journeyOf(await reopened.listWal({ tenantId, executionId: first.executionId })), [
      'accepted→running', 'running→materializing', 'materializing→completed',
    ]);
    const workflow = first.artifacts.find((a) => a.key === 'workflow')!;
    const md = await reopened.readRendering(workflow.artifactId!, 'markdown', { tenantId });
    assert.match(Buffer.from(md.bytes).toString('utf8'), /^# Ship an order/);
    // Small renderings live in the data dir's database: no manifest file of their own.
    assert.match(workflow.storagePath!, /^inline:tenants\//);
  });

  it('marks the interrupted execution failed with SYM_ERR_INTERRUPTED, with a WAL transition and an event', async () => {
    assert.ok(reopened);
    const e = await reopened.getExecution(stuck.executionId, { tenantId });
    assert.equal(e.status, 'failed');
    assert.equal(e.error?.code, 'SYM_ERR_INTERRUPTED');
    assert.ok(e.finishedAt);
    const wal = await reopened.listWal({ tenantId, executionId: stuck.executionId });
    assert.deepEqual(journeyOf(wal), ['accepted→running', 'running→failed']);
    assert.equal((wal.at(-1)!.payload.error as { code: string }).code, 'SYM_ERR_INTERRUPTED');
    await reopened.flushEvents();
    const events = await reopened.listEvents({ tenantId, executionId: stuck.executionId });
    assert.deepEqual(events.map((x) => x.eventType), ['execution.failed']);
    assert.ok(events[0]!.publishedAt);
    assert.deepEqual(await reopened.listExecutions({ tenantId, status: 'running' }), []);
  });

  it('keeps working after recovery', async () => {
    assert.ok(reopened);
    const r = await reopened.execute({ intentType: 'outcomes.create_poc', tenantId, sessionId: 's', parameters: { hypothesis: 'h', success_criteria: ['c'] } });
    assert.equal(r.status, 'completed');
    assert.equal((await reopened.listExecutions({ tenantId })).length, 3);
  });
});

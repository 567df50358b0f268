/**
 * Fault: a queued execution whose handler kills its worker process
 * (SIGKILL), with a supervisor restarting workers as an operator's would.
 * The worker's death counts as an attempt: the poison execution ends `dead`
 * after maximumAttempts, and the innocent executions claimed alongside it
 * complete — each exactly once. Counts acknowledged, lost, duplicated and
 * stuck executions; the last three must be zero. Both drivers: the embedded
 * store with one worker process at a time on the data dir, a PostgreSQL
 * server with two workers at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANY_TENANT, createRuntime, type Runtime } from '../../src/index.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { loadRealmModule } from '../../src/realm/load-realm-module.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { freshServerDb, silentLogger, TEST_DRIVER } from '../support/test-runtime.ts';
import { faultRealm, startWorker, tally, type WorkerProcess } from './worker-supervisor.ts';

const SERVER = TEST_DRIVER === 'postgres';
const skip = SERVER ? await skipUnlessPostgres() : false;
const MAX_ATTEMPTS = 3;
const WORKER_FLAGS = ['--concurrency', '4', '--lease', '1', '--max-attempts', String(MAX_ATTEMPTS)];

/** Six innocent items and, third in line, the poison: the first claim takes it with innocents. */
async function submitAll(rt: Runtime): Promise<{ ids: string[]; poison: string }> {
  const ids: string[] = [];
  let poison = '';
  for (let n = 0; n < 7; n++) {
    const s = n === 2
      ? await rt.submit({ intentType: 'fault.poison', tenantId: 'acme', sessionId: 's', intentId: 'poison' })
      : await rt.submit({ intentType: 'fault.item', tenantId: `t${n % 2}`, sessionId: 's', intentId: `item-${n}`, parameters: { n, ms: 200 } });
    ids.push(s.executionId);
    if (n === 2) poison = s.executionId;
  }
  return { ids, poison };
}

describe('fault: a worker-killing (poison) execution', { skip, timeout: 300_000 }, () => {
  test(`ends dead after ${MAX_ATTEMPTS} attempts; innocent co-claimed executions complete once; nothing lost, duplicated or stuck`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-fault-poison-'));
    const faultLog = join(dir, 'side-effects.jsonl');
    const realms = await loadRealmModule(faultRealm);
    const server = SERVER ? await freshServerDb() : null;
    const store = server ? ['--database-url', server.url, '--artifacts', join(dir, 'blobs')] : ['--data-dir', join(dir, 'data'), '--artifacts', join(dir, 'blobs')];
    const open = () => createRuntime({ ...(server ? { databaseUrl: server.url } : { dataDir: join(dir, 'data') }), realms, logger: silentLogger, artifacts: join(dir, 'blobs') });
    let kills = 0;
    try {
      const client = await open();
      const { ids, poison } = await submitAll(client);
      const settled = async (rt: Runtime) =>
        (await rt.listExecutions({ tenantId: ANY_TENANT, limit: 100 })).every((e) => ['completed', 'failed', 'dead'].includes(e.status));
      const deadline = Date.now() + 240_000;
      if (server) {
        // Two supervised workers at once on the server; each restarted when it dies.
        const live = new Set<WorkerProcess>();
        let stopping = false;
        const supervise = async () => {
          while (!stopping) {
            const w = startWorker(store, WORKER_FLAGS, faultLog);
            live.add(w);
            const { signal } = await w.exited;
            live.delete(w);
            if (signal === 'SIGKILL') kills++;
          }
        };
        const loops = [supervise(), supervise()];
        while (!(await settled(client)) && Date.now() < deadline) await sleep(250);
        stopping = true;
        for (const w of live) w.kill('SIGTERM');
        await Promise.all(loops);
      } else {
        // The embedded data dir holds one process at a time: a worker runs for a while (or until killed), then the state is read.
        await client.close();
        for (;;) {
          const w = startWorker(store, WORKER_FLAGS, faultLog);
          const stopped = await Promise.race([w.exited, sleep(5_000).then(() => null)]);
          if (stopped === null) w.kill('SIGTERM'); // it finishes what it claimed (or is killed doing so)
          if ((await w.exited).signal === 'SIGKILL') kills++;
          const rt = await open();
          const done = await settled(rt);
          await rt.close();
          if (done || Date.now() > deadline) break;
        }
      }
      // Count on the database itself (the embedded one opened directly, no process holding it any more).
      if (SERVER) await client.close();
      const reader = server ?? (await PgliteDb.open({ dataDir: join(dir, 'data', 'db') }));
      let t;
      try {
        t = await tally(reader, ids, faultLog);
      } finally {
        if (!server) await reader.close();
      }
      process.stdout.write(`# poison: acknowledged ${t.acknowledged}, lost ${t.lost.length}, duplicated ${t.duplicated.length}, stuck ${t.stuck.length}, ` +
        `statuses ${JSON.stringify(t.byStatus)}, worker kills ${kills}\n`);
      assert.deepEqual([t.lost, t.duplicated, t.stuck], [[], [], []], 'nothing lost, duplicated or stuck');
      const rt = await open();
      try {
        const p = await rt.getExecution(poison, { tenantId: 'acme' });
        assert.equal(p.status, 'dead');
        assert.equal(p.attempts, MAX_ATTEMPTS);
        assert.equal(p.error?.code, 'SYM_ERR_ATTEMPTS_EXHAUSTED');
        assert.equal(kills, MAX_ATTEMPTS, 'the poison killed a worker once per attempt, and never again');
        for (const id of ids.filter((x) => x !== poison)) {
          const e = await rt.getExecution(id, { tenantId: ANY_TENANT });
          assert.equal(e.status, 'completed', `innocent ${id} completed (attempts ${e.attempts})`);
        }
        const wal = await rt.listWal({ tenantId: 'acme', executionId: poison });
        assert.equal(wal.filter((r) => r.payload.from === 'queued' && r.payload.to === 'running').length, MAX_ATTEMPTS, 'one start per attempt in the WAL');
        assert.equal(wal.at(-1)!.payload.to, 'dead');
      } finally {
        await rt.close();
      }
    } finally {
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});


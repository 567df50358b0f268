/**
 * Fault: a handler that blocks the event loop longer than its lease, with
 * two workers. Leases must not depend on the handler yielding: on a server
 * they are renewed from a thread with its own connection, so the other
 * worker never takes the execution over; on the embedded store no other
 * process can, and a runtime never takes over what it runs itself. Either
 * way the handler runs once and the execution completes once. Counts
 * acknowledged, lost, duplicated and stuck executions; the last three must
 * be zero.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANY_TENANT, createRuntime, type Runtime } from '../../src/index.ts';
import { loadRealmModule } from '../../src/realm/load-realm-module.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { freshServerDb, silentLogger, TEST_DRIVER, testRuntime } from '../support/test-runtime.ts';
import { faultRealm, sideEffects, startWorker, tally } from './worker-supervisor.ts';

const SERVER = TEST_DRIVER === 'postgres';
const skip = SERVER ? await skipUnlessPostgres() : false;
const LEASE_MS = 1000;
const BLOCK_MS = 4 * LEASE_MS;

const settled = async (rt: Runtime) =>
  (await rt.listExecutions({ tenantId: ANY_TENANT, limit: 100 })).every((e) => ['completed', 'failed', 'dead'].includes(e.status));

async function submitAll(rt: Runtime): Promise<{ ids: string[]; blocking: string }> {
  const blocking = (await rt.submit({ intentType: 'fault.block', tenantId: 'acme', sessionId: 's', intentId: 'block', parameters: { n: 0, ms: BLOCK_MS } })).executionId;
  const ids = [blocking];
  for (let n = 1; n <= 6; n++) {
    ids.push((await rt.submit({ intentType: 'fault.item', tenantId: 'acme', sessionId: 's', intentId: `item-${n}`, parameters: { n, ms: 100 } })).executionId);
  }
  return { ids, blocking };
}

describe('fault: a handler blocking the event loop longer than its lease, two workers', { skip, timeout: 180_000 }, () => {
  test('runs once and completes once; nothing lost, duplicated or stuck', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-fault-block-'));
    const faultLog = join(dir, 'side-effects.jsonl');
    process.env.SYMPHAINY_FAULT_LOG = faultLog;
    const realms = await loadRealmModule(faultRealm);
    try {
      if (SERVER) {
        // Two worker processes on one server; the blocking one cannot renew from its event loop.
        const server = await freshServerDb();
        const client = await createRuntime({ databaseUrl: server.url, artifacts: join(dir, 'blobs'), realms, logger: silentLogger });
        try {
          const { ids, blocking } = await submitAll(client);
          const store = ['--database-url', server.url, '--artifacts', join(dir, 'blobs')];
          const workers = [1, 2].map(() => startWorker(store, ['--concurrency', '2', '--lease', String(LEASE_MS / 1000)], faultLog));
          try {
            const deadline = Date.now() + 120_000;
            while (!(await settled(client)) && Date.now() < deadline) await sleep(200);
          } finally {
            for (const w of workers) w.kill('SIGTERM');
            await Promise.all(workers.map((w) => w.exited));
          }
          await check(await tally(server, ids, faultLog), await client.getExecution(blocking, { tenantId: 'acme' }), faultLog, blocking);
        } finally {
          await client.close();
          await server.close();
        }
      } else {
        // The embedded store: one process; two workers of one runtime share its event loop.
        const t = await testRuntime({ realms });
        try {
          const { ids, blocking } = await submitAll(t.runtime);
          t.runtime.startWorker({ concurrency: 2, leaseMs: LEASE_MS, pollIntervalMs: 20 });
          t.runtime.startWorker({ concurrency: 2, leaseMs: LEASE_MS, pollIntervalMs: 20 });
          const deadline = Date.now() + 120_000;
          while (!(await settled(t.runtime)) && Date.now() < deadline) await sleep(200);
          await check(await tally(t.db, ids, faultLog), await t.runtime.getExecution(blocking, { tenantId: 'acme' }), faultLog, blocking);
        } finally {
          await t.close();
        }
      }
    } finally {
      delete process.env.SYMPHAINY_FAULT_LOG;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fault: a handler blocked past its timeout, two worker processes on a server', { skip: skip || (!SERVER && 'a server-only path (renewal from a thread)'), timeout: 180_000 }, () => {
  test('its lease is renewed only until the timeout: it is taken over, each run counted, and ends dead — never running forever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-fault-stuck-'));
    const faultLog = join(dir, 'side-effects.jsonl');
    const config = join(dir, 'runtime.yaml');
    await writeFile(config, 'realm_timeout: 1s\n');
    const server = await freshServerDb();
    const client = await createRuntime({ databaseUrl: server.url, artifacts: join(dir, 'blobs'), realms: await loadRealmModule(faultRealm), logger: silentLogger });
    try {
      const stuck = (await client.submit({ intentType: 'fault.block', tenantId: 'acme', sessionId: 's', parameters: { n: 0, ms: 5000 } })).executionId;
      const store = ['--database-url', server.url, '--artifacts', join(dir, 'blobs'), '--runtime-config', config];
      const workers = [1, 2].map(() => startWorker(store, ['--concurrency', '1', '--lease', '1', '--max-attempts', '2'], faultLog));
      try {
        const deadline = Date.now() + 120_000;
        while (!(await settled(client)) && Date.now() < deadline) await sleep(200);
      } finally {
        for (const w of workers) w.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
      }
      const t = await tally(server, [stuck], faultLog);
      const e = await client.getExecution(stuck, { tenantId: 'acme' });
      const runs = (await sideEffects(faultLog)).get(stuck) ?? 0;
      process.stdout.write(`# stuck: acknowledged ${t.acknowledged}, lost ${t.lost.length}, duplicated ${t.duplicated.length}, stuck ${t.stuck.length}, status ${e.status}, runs ${runs}, attempts ${e.attempts}\n`);
      assert.deepEqual([t.lost, t.duplicated, t.stuck], [[], [], []]);
      assert.equal(e.status, 'dead');
      assert.equal(e.attempts, 2);
      assert.ok(runs <= 2, `handler runs ${runs} within the attempts`);
    } finally {
      await client.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function check(t: Awaited<ReturnType<typeof tally>>, e: { status: string; attempts: number }, faultLog: string, blocking: string): Promise<void> {
  const runs = (await sideEffects(faultLog)).get(blocking) ?? 0;
  process.stdout.write(`# blocking: acknowledged ${t.acknowledged}, lost ${t.lost.length}, duplicated ${t.duplicated.length}, stuck ${t.stuck.length}, ` +
    `statuses ${JSON.stringify(t.byStatus)}, blocking handler runs ${runs}, attempts ${e.attempts}\n`);
  assert.deepEqual([t.lost, t.duplicated, t.stuck], [[], [], []], 'nothing lost, duplicated or stuck');
  assert.equal(t.byStatus.completed, t.acknowledged, 'every execution completed');
  assert.equal(e.status, 'completed');
  assert.equal(runs, 1, 'the blocking handler ran exactly once');
  assert.equal(e.attempts, 1, 'never taken over');
}

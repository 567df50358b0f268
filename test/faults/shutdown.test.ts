/**
 * Graceful shutdown of `symphainy serve`: SIGTERM while synchronous
 * requests are in flight stops accepting, lets each one finish and answers
 * it, then exits 0. Counts acknowledged, lost, duplicated and stuck.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRuntime, ANY_TENANT } from '../../src/index.ts';
import { loadRealmModule } from '../../src/realm/load-realm-module.ts';
import { freshServerDb, silentLogger, TEST_DRIVER } from '../support/test-runtime.ts';
import { postItem, startServe, waitRecorded, workRealm, type Outcome } from './serve-process.ts';

describe('graceful shutdown of serve', { timeout: 300_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-shutdown-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('SIGTERM with 24 synchronous 2 s requests in flight: every client gets its full answer, exit 0, nothing lost, run twice or left running', async () => {
    const dataDir = join(dir, 'drain');
    // Both drivers: the embedded data dir, or a fresh database on the server.
    const server = TEST_DRIVER === 'postgres' ? await freshServerDb() : null;
    const store = server ? ['--database-url', server.url] : ['--data-dir', dataDir];
    const s = await startServe([...store, '--no-worker']);
    const inFlight: Promise<Outcome>[] = Array.from({ length: 24 }, (_, n) => postItem(s, n, 3000));
    // Signal once all 24 are recorded (in flight), however slowly a busy machine accepted them.
    await waitRecorded(s, 24);
    s.kill('SIGTERM');
    const outcomes = await Promise.all(inFlight);
    const code = await s.exited;
    const acked = outcomes.filter((o) => o.kind === 'acknowledged');
    assert.deepEqual(outcomes.filter((o) => o.kind !== 'acknowledged'), [], s.stderr());
    assert.equal(code, 0, s.stderr());
    assert.match(s.stderr(), /SIGTERM: stopping/);

    // The books, read after the process is gone: each acknowledged execution completed once.
    const runtime = await createRuntime({ ...(server ? { databaseUrl: server.url } : { dataDir }), realms: await loadRealmModule(workRealm), logger: silentLogger });
    try {
      const executions = await runtime.listExecutions({ tenantId: ANY_TENANT, limit: 500 });
      const byIntent = new Map<string, string[]>();
      for (const e of executions) byIntent.set(e.intentId, [...(byIntent.get(e.intentId) ?? []), e.status]);
      const lost = acked.filter((o) => byIntent.get(`item-${o.n}`)?.[0] !== 'completed').length;
      const duplicated = [...byIntent.values()].filter((v) => v.length > 1).length;
      const stuck = [...byIntent.values()].flat().filter((st) => st !== 'completed' && st !== 'failed').length;
      process.stderr.write(`# shutdown: ${acked.length} acknowledged, lost ${lost}, duplicated ${duplicated}, stuck ${stuck}\n`);
      assert.equal(acked.length, 24);
      assert.equal(lost, 0);
      assert.equal(duplicated, 0);
      assert.equal(stuck, 0);
    } finally {
      await runtime.close();
      await server?.close();
    }
  });

  test('past the drain timeout, what still runs is cancelled with SYM_ERR_RUNTIME_CLOSED and answered; exit 0', async () => {
    const s = await startServe(['--data-dir', join(dir, 'deadline'), '--no-worker', '--drain-timeout', '1s']);
    const inFlight = Array.from({ length: 5 }, (_, n) => postItem(s, n, 20_000));
    await waitRecorded(s, 5);
    s.kill('SIGTERM');
    const outcomes = await Promise.all(inFlight);
    assert.equal(await s.exited, 0, s.stderr());
    for (const o of outcomes) assert.deepEqual(o.kind === 'refused' ? o.code : o, 'SYM_ERR_RUNTIME_CLOSED', s.stderr());
    assert.match(s.stderr(), /drain timeout after 1000 ms/);
  });
});

import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { ConfigError, createRuntime, defineRealm, StoreError, type Db, type Queryable, type ScopedDb } from '../../src/index.ts';
import { parseRuntimeConfigYaml } from '../../src/runtime/runtime-config.ts';
import { GroupCommit, type BatchApply } from '../../src/db/group-commit.ts';
import type { TenantScope } from '../../src/db/tenant-scope.ts';
import { freshDb, silentLogger, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { count, journeyOf, uid } from './helpers.ts';

const bench = defineRealm({
  name: 'gc',
  intents: {
    run: {
      handler: (params: unknown) => {
        return { artifacts: {}, events: [{ type: 'ran', data: { n: (params as { n?: number }).n ?? 0 } }] };
      },
    },
  },
});

/** A transaction as the counting wrapper saw it. */
interface SeenTransaction {
  readonly scoped: boolean;
  readonly statements: string[];
  readonly executionIds: string[];
  /** Tenants the transaction ran under: its scope, and any it set itself. */
  readonly tenants: Set<string>;
}

/**
 * Wraps a database: counts transactions, remembers the executions each
 * one inserted, and fails the commit of a transaction
 * when `failCommit` says so (the driver rolls it back: nothing of it commits).
 */
function observed(inner: Db) {
  const w = {
    transactions: [] as SeenTransaction[],
    failCommit: (_t: SeenTransaction): boolean => false,
    failedCommits: [] as SeenTransaction[],
  };
  const run = <T>(scope: TenantScope | null, begin: (fn: (tx: Queryable) => Promise<T>) => Promise<T>, fn: (tx: Queryable) => Promise<T>) => {
    const seen: SeenTransaction = { scoped: scope !== null, statements: [], executionIds: [], tenants: new Set(typeof scope === 'string' ? [scope] : []) };
    w.transactions.push(seen);
    return begin(async (tx) => {
      const q: Queryable = {
        query: async <R>(sql: string, params?: readonly unknown[]) => {
          seen.statements.push(sql);
          if (sql.includes('set_config')) seen.tenants.add(params![0] as string);
          const rows = await tx.query<R>(sql, params);
          // The executions a (multi-row) insert wrote: it returns their ids.
          if (sql.includes('INSERT INTO symphainy.executions')) seen.executionIds.push(...rows.map((r) => (r as { execution_id: string }).execution_id));
          return rows;
        },
        exec: (sql: string) => tx.exec(sql),
      };
      const value = await fn(q);
      if (w.failCommit(seen)) {
        w.failedCommits.push(seen);
        throw new Error('simulated COMMIT failure');
      }
      return value;
    });
  };
  const db: Db = {
    capabilities: inner.capabilities,
    location: inner.location,
    query: (sql, params) => inner.query(sql, params),
    exec: (sql) => inner.exec(sql),
    transaction: (fn) => run(null, (f) => inner.transaction(f), fn),
    scoped(scope: TenantScope): ScopedDb {
      const s = inner.scoped(scope);
      return { scope, query: (sql, params) => s.query(sql, params), exec: (sql) => s.exec(sql), transaction: (fn) => run(scope, (f) => s.transaction(f), fn) };
    },
    close: () => inner.close(),
  };
  return { db, w };
}

async function observedRuntime(options: Parameters<typeof testRuntime>[0] = {}): Promise<TestRuntime & ReturnType<typeof observed>> {
  const inner = await freshDb();
  const o = observed(inner);
  const t = await testRuntime({ db: o.db, realms: [bench], ...options });
  o.w.transactions.length = 0;
  return {
    ...t,
    ...o,
    async close() {
      await t.close();
      await inner.close();
    },
  };
}

const intent = (tenantId: string, parameters: Record<string, unknown> = {}, intentId?: string) => ({
  intentType: 'gc.run', tenantId, sessionId: 's', parameters, ...(intentId ? { intentId } : {}),
});

/**
 * 31 submits at once, two of them with the same intent id: the first starts
 * a batch at once, the rest queue behind it and share the next one. Checks
 * that only the repeat was refused (taken) and every other write committed.
 */
async function submitWithDuplicate(t: TestRuntime, tenantId: string): Promise<void> {
  const intentId = uid('intent');
  const first = t.runtime.submit(intent(tenantId, { n: -1 }));
  const rest = Array.from({ length: 30 }, (_, n) =>
    n === 10 || n === 20 ? t.runtime.submit(intent(tenantId, { same: true }, intentId)) : t.runtime.submit(intent(tenantId, { n })),
  );
  const submitted = await Promise.all([first, ...rest]);
  const pair = [submitted[11]!, submitted[21]!];
  assert.deepEqual(pair.map((s) => s.duplicate).sort(), [false, true]);
  assert.equal(pair[0]!.executionId, pair[1]!.executionId);
  assert.ok(submitted.filter((s, i) => i !== 11 && i !== 21).every((s) => !s.duplicate && s.status === 'queued'));
  assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.executions WHERE tenant_id = $1', [tenantId]), 30);
  assert.equal(await count(t.db, "SELECT count(*) AS n FROM symphainy.wal WHERE tenant_id = $1 AND record_type = 'intent'", [tenantId]), 30);
  assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.outbox WHERE tenant_id = $1', [tenantId]), 30);
  assert.ok((await t.runtime.verifyWal({ tenantId })).every((c) => c.ok), 'the WAL chain is whole after the retry');
}

describe('group commit', { timeout: 120_000 }, () => {
  it('200 concurrent executions all complete with whole journeys, in fewer transactions than writes', async () => {
    const t = await observedRuntime();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const tenants = [uid('gc'), uid('gc'), uid('gc'), uid('gc')];
      const results = await Promise.all(Array.from({ length: 200 }, (_, n) => t.runtime.execute(intent(tenants[n % 4]!, { n }))));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      assert.ok(!warnings.includes('MaxListenersExceededWarning'), 'many running handlers listening for shutdown are not reported as a leak');
      assert.ok(results.every((r) => r.status === 'completed'), 'every execution completed');
      assert.equal(new Set(results.map((r) => r.executionId)).size, 200);
      for (const tenantId of tenants) {
        // Each tenant's hash chain is whole: members of one tenant were appended one after the other.
        const chains = await t.runtime.verifyWal({ tenantId });
        assert.ok(chains.every((c) => c.ok), JSON.stringify(chains));
        const wal = await t.runtime.listWal({ tenantId, limit: 10_000 });
        const mine = results.filter((r) => r.tenantId === tenantId);
        assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.executions WHERE tenant_id = $1', [tenantId]), mine.length);
        for (const r of mine) {
          const records = wal.filter((x) => x.executionId === r.executionId);
          assert.deepEqual(records.filter((x) => x.recordType === 'intent').length, 1);
          assert.deepEqual(journeyOf(records), ['accepted→running', 'running→materializing', 'materializing→completed']);
          const events = (await t.runtime.listEvents({ tenantId, executionId: r.executionId })).map((e) => e.eventType);
          assert.deepEqual(events, ['execution.started', 'ran', 'execution.completed']);
        }
      }
      // 400 writes (record + completion of each); shared transactions hold several.
      const writes = t.w.transactions.filter((x) => x.statements.some((s) => /symphainy\.(executions|wal)/.test(s)));
      assert.ok(writes.length < 400, `${writes.length} transactions for 400 writes`);
      assert.ok(writes.some((x) => x.executionIds.length > 1), 'some transaction recorded several executions');
      if (TEST_DRIVER === 'postgres') {
        // On a server a shared transaction holds one tenant's writes (one WAL chain head locked: no deadlock with others).
        assert.ok(writes.every((x) => x.tenants.size <= 1), 'a shared transaction mixed tenants');
        assert.ok(writes.every((x) => x.tenants.size === 1), 'every write ran under its tenant');
      }
    } finally {
      process.off('warning', onWarning);
      await t.close();
    }
  });

  it('a duplicate intent id in the same batch is refused alone (taken), the other members commit', async () => {
    // Encryption off: sealing is asynchronous before a write joins a batch, so with it on the two
    // members need not meet in one batch; what is tested here is the batch's savepoint per member.
    const t = await observedRuntime({ groupCommit: { maxConcurrentBatches: 1 }, encryption: false });
    try {
      await submitWithDuplicate(t, uid('dup'));
      // It was the shared transaction that isolated it: a savepoint per member.
      assert.ok(t.w.transactions.some((x) => x.statements.some((s) => s.startsWith('SAVEPOINT'))), 'members were isolated by savepoints');
    } finally {
      await t.close();
    }
  });

  it('sent with their COMMIT (the drivers pipeline), a batch with a taken intent id rolls back and only that write is refused', async () => {
    const t = await testRuntime({ realms: [bench], groupCommit: { maxConcurrentBatches: 1 } });
    try {
      const tenantId = uid('pipe-dup');
      await submitWithDuplicate(t, tenantId);
      const results = await Promise.all(Array.from({ length: 40 }, (_, n) => t.runtime.execute(intent(tenantId, { n }))));
      assert.ok(results.every((r) => r.status === 'completed'));
    } finally {
      await t.close();
    }
  });

  it('a fault in one member’s completion fails only that execution', async () => {
    // Which execution the code runs for: writes run in their caller's async context, also when batched.
    const which = new AsyncLocalStorage<number>();
    const t = await observedRuntime({
      faults: {
        beforeCompleteCommit: () => {
          if (which.getStore() === 37) throw new Error('injected fault');
        },
      },
    });
    try {
      const tenantId = uid('fault');
      const results = await Promise.all(Array.from({ length: 60 }, (_, n) => which.run(n, () => t.runtime.execute(intent(tenantId, { n })))));
      const failed = results.filter((r) => r.status === 'failed');
      assert.deepEqual(failed, [results[37]]);
      assert.equal(failed[0]!.error?.code, 'SYM_ERR_STORE');
      assert.match(failed[0]!.error!.message, /injected fault/);
      assert.equal(results.filter((r) => r.status === 'completed').length, 59);
      assert.ok((await t.runtime.verifyWal({ tenantId })).every((c) => c.ok), 'the WAL chain is whole');
      const journey = journeyOf(await t.runtime.listWal({ tenantId, executionId: failed[0]!.executionId }));
      assert.deepEqual(journey, ['accepted→running', 'running→materializing', 'materializing→failed']);
      assert.deepEqual((await t.runtime.listEvents({ tenantId, executionId: failed[0]!.executionId })).map((e) => e.eventType), [
        'execution.started', 'execution.failed',
      ]);
      assert.ok(t.w.transactions.some((x) => x.executionIds.length > 1), 'the executions were recorded in shared transactions');
    } finally {
      await t.close();
    }
  });

  it('a failed COMMIT rejects every member of that batch and leaves none of their rows', async () => {
    // Encryption off: the first shared batch must be one of start writes, which asynchronous sealing
    // before a write joins a batch does not guarantee; what is tested is the batch's all-or-nothing COMMIT.
    const t = await observedRuntime({ encryption: false });
    let armed = true;
    t.w.failCommit = (x) => {
      if (armed && x.executionIds.length >= 2) {
        armed = false;
        return true;
      }
      return false;
    };
    try {
      const tenantId = uid('commit');
      const settled = await Promise.allSettled(Array.from({ length: 80 }, (_, n) => t.runtime.execute(intent(tenantId, { n }))));
      assert.equal(t.w.failedCommits.length, 1, 'one shared record transaction failed to commit');
      const lost = t.w.failedCommits[0]!.executionIds;
      const rejected = settled.filter((s) => s.status === 'rejected');
      assert.equal(rejected.length, lost.length);
      for (const r of rejected) {
        assert.ok(r.reason instanceof StoreError);
        assert.match((r.reason as Error).message, /simulated COMMIT failure/);
      }
      const completed = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      assert.equal(completed.length, 80 - lost.length);
      assert.ok(completed.every((r) => r.status === 'completed' && !lost.includes(r.executionId)));
      for (const table of ['executions', 'wal', 'outbox']) {
        assert.equal(await count(t.db, `SELECT count(*) AS n FROM symphainy.${table} WHERE execution_id = ANY($1::text[])`, [lost]), 0, table);
      }
      assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.executions WHERE tenant_id = $1', [tenantId]), completed.length);
    } finally {
      await t.close();
    }
  });

  it('a write that finds nothing in flight starts at once, without waiting for maxWaitMs', async () => {
    const t = await observedRuntime({ groupCommit: { maxWaitMs: 600_000 } });
    try {
      // Were an idle write held for maxWaitMs, these would not finish before the suite's timeout.
      for (let i = 0; i < 5; i++) assert.equal((await t.runtime.execute(intent(uid('idle')))).status, 'completed');
      assert.ok(t.w.transactions.every((x) => x.scoped), 'each write ran alone in its own scoped transaction');
    } finally {
      await t.close();
    }
  });

  it('the batcher: idle writes never wait; queued writes share a batch; every promise settles after commit', async () => {
    const db = await freshDb();
    try {
      // Units of work as writes: a batch runs them all in its transaction, `one` runs one.
      type Unit = (tx: Queryable) => Promise<unknown>;
      const units: BatchApply<Unit, unknown> = { batch: (tx, us) => Promise.all(us.map((u) => u(tx))), one: (tx, u) => u(tx) };
      const gc = new GroupCommit(db, units, { maxWaitMs: 600_000, maxConcurrentBatches: 1 });
      assert.equal(await gc.write('a', async (tx) => (await tx.query<{ v: number }>('SELECT 1 AS v'))[0]!.v), 1);
      assert.equal(gc.stats.waited, 0);
      const batched = new GroupCommit(db, units, { maxBatch: 10, maxConcurrentBatches: 1 });
      const values = await Promise.all(Array.from({ length: 21 }, (_, i) => batched.write('a', async () => i)));
      assert.deepEqual(values, Array.from({ length: 21 }, (_, i) => i));
      // One alone (idle), then the 20 queued behind it in batches of at most 10.
      assert.equal(batched.stats.batches, 3);
      assert.equal(batched.stats.largestBatch, 10);
      const thrown = new Error('mine');
      const outcomes = await Promise.allSettled([
        batched.write('a', async () => 'first'),
        batched.write('a', async () => 'second'),
        batched.write('a', async () => {
          throw thrown;
        }),
        batched.write('a', async () => 'fourth'),
      ]);
      assert.deepEqual(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason)), ['first', 'second', thrown, 'fourth']);
      assert.equal(batched.stats.retried, 1);
    } finally {
      await db.close();
    }
  });

  it('on a server, a tenant has one batch in flight: its writes queued meanwhile make one batch; another tenant does not wait', async () => {
    const inner = await freshDb();
    try {
      // The test database as a server (several connections, row-level security): only the batching differs.
      const server: Db = {
        capabilities: { multipleConnections: true, rowLevelSecurity: true },
        location: inner.location,
        query: (sql, params) => inner.query(sql, params),
        exec: (sql) => inner.exec(sql),
        transaction: (fn) => inner.transaction(fn),
        scoped: (scope: TenantScope) => inner.scoped(scope),
        close: () => inner.close(),
      };
      type Unit = (tx: Queryable) => Promise<unknown>;
      const units: BatchApply<Unit, unknown> = { batch: (tx, us) => Promise.all(us.map((u) => u(tx))), one: (tx, u) => u(tx) };
      const gc = new GroupCommit(server, units, { maxConcurrentBatches: 4 });
      const order: string[] = [];
      const unit = (name: string): Unit => async () => order.push(name);
      const first = gc.write('a', unit('a0')); // starts at once, alone
      const queued = Array.from({ length: 20 }, (_, i) => gc.write('a', unit(`a${i + 1}`)));
      const other = gc.write('b', unit('b0')); // another tenant: its own batch, without waiting for a's
      await Promise.all([first, ...queued, other]);
      assert.equal(gc.stats.batches, 3, 'a alone, b, then the 20 queued writes of a together');
      assert.equal(gc.stats.largestBatch, 20);
      assert.deepEqual(order.slice().sort(), ['a0', ...Array.from({ length: 20 }, (_, i) => `a${i + 1}`), 'b0'].sort());
    } finally {
      await inner.close();
    }
  });

  it('groupCommit: false keeps one transaction per write', async () => {
    const t = await observedRuntime({ groupCommit: false });
    try {
      const tenantId = uid('off');
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => t.runtime.execute(intent(tenantId, { n }))));
      assert.ok(results.every((r) => r.status === 'completed'));
      const writes = t.w.transactions.filter((x) => x.statements.some((s) => /symphainy\.(executions|wal)/.test(s)));
      assert.equal(writes.length, 40);
      assert.ok(writes.every((x) => x.scoped && x.executionIds.length <= 1));
    } finally {
      await t.close();
    }
  });

  it('refuses bad options with a ConfigError naming the field; the runtime config has a group_commit section', async () => {
    for (const [groupCommit, field] of [
      [{ maxBatch: 0 }, 'groupCommit.maxBatch'],
      [{ maxWaitMs: -1 }, 'groupCommit.maxWaitMs'],
      [{ maxConcurrentBatches: 1.5 }, 'groupCommit.maxConcurrentBatches'],
    ] as const) {
      await assert.rejects(createRuntime({ memory: true, logger: silentLogger, groupCommit }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, new RegExp(field.replace('.', '\\.')));
        return true;
      });
    }
    const c = parseRuntimeConfigYaml('group_commit: { max_batch: 32, max_wait_ms: 2, max_concurrent_batches: 3 }\n', 'runtime.yaml');
    assert.deepEqual(c.groupCommit, { maxBatch: 32, maxWaitMs: 2, maxConcurrentBatches: 3 });
    assert.equal(parseRuntimeConfigYaml('group_commit: false\n', 'runtime.yaml').groupCommit, false);
    assert.throws(() => parseRuntimeConfigYaml('group_commit: { max_batch: 0 }\n', 'runtime.yaml'), /runtime\.yaml:1: group_commit\.max_batch/);
  });
});

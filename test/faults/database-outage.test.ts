/**
 * PostgreSQL faults under a running `symphainy serve`: backends terminated
 * under load, the network cut and blackholed (a TCP proxy in front of the
 * shared server), and a server that is down when serve starts. Each phase
 * counts acknowledged, lost, duplicated and stuck executions and requires
 * zero of the last three; the process must never crash or hang a request.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { withDefaultUser } from '../../src/db/pg/database-url.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { freshServerDb, serverUrl, TEST_DRIVER, type ServerTestDb } from '../support/test-runtime.ts';
import { load, postItem, sharedKeyOpener, startServe, submitAndWait, waitForReady, type Outcome, type ServeProcess } from './serve-process.ts';

// A PostgreSQL suite whatever the driver: it runs once, in the PostgreSQL pass (`npm run test:postgres`).
const skip = TEST_DRIVER !== 'postgres' ? 'PostgreSQL faults run with SYMPHAINY_TEST_DRIVER=postgres' : await skipUnlessPostgres();

/** The error lines of a log, for failure messages. */
function errorsLogged(log: string): string {
  return log.split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(-5).join('\n').slice(0, 6000);
}

/** The same database reached through the proxy. */
function viaProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** Short timeouts so the suite sees them fire; a client still waits 90 s before calling a request hung. */
const FAULT_ENV = { SYMPHAINY_STATEMENT_TIMEOUT: '2s', SYMPHAINY_CONNECT_TIMEOUT: '1s', SYMPHAINY_DATABASE_WAIT: '2m' };

describe('database outages under serve', { skip, timeout: 600_000 }, () => {
  let db: ServerTestDb;
  let dbName: string;
  let admin: pg.Client;
  let proxy: TcpProxy;
  let s: ServeProcess;
  let nextN = 0;
  const all: Outcome[] = [];
  let openSealed: Awaited<ReturnType<typeof sharedKeyOpener>>;

  before(async () => {
    // Parameters are sealed at rest: this process reads them with the key store serve uses.
    openSealed = await sharedKeyOpener();
    db = await freshServerDb();
    dbName = new URL(db.url).pathname.slice(1);
    // The superuser sees every tenant's rows and may terminate the test database's backends.
    admin = new pg.Client({ connectionString: withDefaultUser(serverUrl(dbName)) });
    await admin.connect();
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    s = await startServe(['--database-url', viaProxy(db.url, proxy.port), '--worker-concurrency', '2'], FAULT_ENV);
  });
  after(async () => {
    s?.kill('SIGKILL');
    await s?.exited;
    await proxy?.close();
    await admin?.end();
    await db?.close();
  });

  /** Runs load while `fault` acts, then checks the books: nothing acknowledged lost, nothing run twice, nothing left running. */
  async function underLoad(fault: () => Promise<void>): Promise<{ acknowledged: number; refused: number }> {
    const first = nextN;
    nextN += 100_000;
    const faultDone = fault();
    const outcomes = await load(s, { concurrency: 8, ms: 30, firstN: first, until: faultDone });
    all.push(...outcomes);
    const unexpected = outcomes.filter((o) => o.kind === 'unexpected');
    assert.deepEqual(unexpected, [], `every request answered: completed or a clear, retryable error\n${errorsLogged(s.stderr())}`);
    assert.equal(s.child.exitCode, null, `serve is still running\n${s.stderr().slice(-3000)}`);
    await waitForReady(s.url, 200);
    const acked = outcomes.filter((o) => o.kind === 'acknowledged');
    const refused = outcomes.length - acked.length;
    const stored = (await admin.query<{ execution_id: string; tenant_id: string; parameters: unknown; status: string }>(
      'SELECT execution_id, tenant_id, parameters, status FROM symphainy.executions')).rows;
    const byN = new Map<number, string[]>();
    for (const r of stored) {
      const n = Number(((await openSealed(r.parameters, r.tenant_id, `execution:${r.execution_id}`, 'parameters')) as { n?: unknown }).n);
      if (n >= first && n < first + 100_000) byN.set(n, [...(byN.get(n) ?? []), r.status]);
    }
    const lost = acked.filter((o) => byN.get(o.n)?.[0] !== 'completed').length;
    const duplicated = [...byN.values()].filter((v) => v.length > 1).length;
    // A refused execution whose failure could not be recorded either (its connection was gone) is left
    // `running` for lease recovery to end; anything else not terminal is stuck.
    const refusedNs = new Set(outcomes.filter((o) => o.kind === 'refused').map((o) => o.n));
    const nonTerminal = [...byN.entries()].filter(([, v]) => v.some((st) => st !== 'completed' && st !== 'failed'));
    const stuck = nonTerminal.filter(([n]) => !refusedNs.has(n)).map(([n, v]) => `item-${n}: ${v.join('/')}`);
    process.stderr.write(
      `# ${acked.length} acknowledged, ${refused} refused with a retryable SYM_ERR_*, lost ${lost}, duplicated ${duplicated}, stuck ${stuck.length}` +
        ` (refused and left running for lease recovery: ${nonTerminal.length - stuck.length})\n`,
    );
    assert.ok(acked.length > 0, 'some requests were acknowledged');
    assert.equal(lost, 0, 'lost');
    assert.equal(duplicated, 0, 'duplicated');
    assert.equal(stuck.length, 0, `stuck: ${stuck.join(', ')}`);
    // It serves again without a restart, and its in-process worker claims again.
    const again = await postItem(s, nextN++, 0);
    assert.equal(again.kind, 'acknowledged', JSON.stringify(again));
    assert.equal(await submitAndWait(s, nextN++), 'completed', 'the worker claim loop survived');
    return { acknowledged: acked.length, refused };
  }

  test('pg_terminate_backend of every connection, 3 times at 0.4 s under load: no crash, no hang, nothing lost; serves on', async () => {
    await underLoad(async () => {
      await sleep(500);
      for (let i = 0; i < 3; i++) {
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
        await sleep(400);
      }
      await sleep(300);
    });
    assert.match(s.stderr(), /PostgreSQL connection failed/, 'the lost connections are logged');
  });

  test('the network cut 3 times at 0.4 s under load: no crash, no hang, nothing lost; serves on', async () => {
    await underLoad(async () => {
      await sleep(500);
      for (let i = 0; i < 3; i++) {
        proxy.cut();
        await sleep(400);
      }
      await sleep(300);
    });
  });

  test('a blackholed database: /readyz answers 503 naming the store at once, requests fail with SYM_ERR_STORE instead of hanging, all recover on restore', async () => {
    proxy.blackhole();
    try {
      const started = performance.now();
      const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(30_000) });
      const readyMs = performance.now() - started;
      const problem = (await res.json()) as { code: string; detail: string };
      assert.equal(res.status, 503);
      assert.equal(problem.code, 'SYM_ERR_STORE');
      assert.match(problem.detail, /store \(postgres\) down: no answer within 1000 ms/);
      process.stderr.write(`# /readyz during a blackhole answered 503 in ${Math.round(readyMs)} ms\n`);

      const t0 = performance.now();
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => postItem(s, nextN++, 0)));
      process.stderr.write(`# requests during a blackhole answered in ${Math.round(performance.now() - t0)} ms: ${outcomes.map((o) => o.kind === 'refused' ? o.code : o.kind).join(', ')}\n`);
      for (const o of outcomes) {
        assert.equal(o.kind, 'refused', JSON.stringify(o));
        if (o.kind === 'refused') {
          assert.equal(o.status, 503);
          assert.equal(o.code, 'SYM_ERR_STORE');
        }
      }
    } finally {
      proxy.restore();
    }
    await waitForReady(s.url, 200);
    const again = await postItem(s, nextN++, 0);
    assert.equal(again.kind, 'acknowledged', JSON.stringify(again));
    assert.equal(await submitAndWait(s, nextN++), 'completed', 'the worker claim loop survived');
    assert.equal(s.child.exitCode, null);
  });

  test('serve started while the database is unreachable waits (logged backoff), then serves', async () => {
    // Until the database "returns", its port takes each connection and drops it at once.
    let attempts = 0;
    const down = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    const starting = startServe(['--database-url', viaProxy(db.url, port), '--no-worker'], FAULT_ENV, { tenant: 'late' });
    starting.catch(() => {});
    const deadline = Date.now() + 120_000;
    while (attempts < 3 && Date.now() < deadline) await sleep(50);
    assert.ok(attempts >= 3, 'serve keeps trying');
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const target = new URL(db.url);
    const reopened = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, port);
    try {
      const late2 = await starting;
      try {
        assert.match(late2.stderr(), /PostgreSQL does not answer yet; waiting/);
        const o = await postItem(late2, nextN++, 0);
        assert.equal(o.kind, 'acknowledged', JSON.stringify(o));
      } finally {
        late2.kill('SIGTERM');
        assert.equal(await late2.exited, 0, late2.stderr());
      }
    } finally {
      await reopened.close();
    }
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { ANY_TENANT, createRuntime, type Runtime } from '../../src/index.ts';
import { loadRealmModule } from '../../src/realm/load-realm-module.ts';
import { readStream, startNatsServer, type NatsTestServer } from '../support/nats-server.ts';
import { skipUnlessNatsServerBinary, skipUnlessPostgres } from '../support/services.ts';
import { freshServerDb, MVP_CONFIG, silentLogger, type ServerTestDb } from '../support/test-runtime.ts';

/**
 * Scale-out, end to end: separate worker processes (`symphainy worker`) on one
 * PostgreSQL database, publishing to NATS JetStream. Each test has its own
 * database, NATS server (and stream) and blob folder.
 */
const skip = (await skipUnlessPostgres()) || (await skipUnlessNatsServerBinary());

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/symphainy.js');
const realmModule = join(root, 'test/fixtures/work-realm.mjs');

interface Env {
  db: ServerTestDb;
  url: string;
  nats: NatsTestServer;
  blobs: string;
  close(): Promise<void>;
}

async function environment(): Promise<Env> {
  const db = await freshServerDb();
  const nats = await startNatsServer();
  const blobs = await mkdtemp(join(tmpdir(), 'symphainy-scale-blobs-'));
  const url = db.url;
  return {
    db, url, nats, blobs,
    async close() {
      await db.close();
      await nats.close();
      await rm(blobs, { recursive: true, force: true });
    },
  };
}

/** A fresh environment and a client runtime for the enclosing suite, set up before its tests and removed after. */
function useEnvironment(): { env: Env; rt: Runtime } {
  const suite = {} as { env: Env; rt: Runtime };
  before(async () => {
    suite.env = await environment();
    suite.rt = await client(suite.env);
  });
  after(async () => {
    await suite.rt?.close();
    await suite.env?.close();
  });
  return suite;
}

/** A runtime in this process on the same stores, to submit and inspect. */
async function client(env: Env): Promise<Runtime> {
  return createRuntime({
    databaseUrl: env.url, artifacts: env.blobs, events: env.nats.url,
    realms: await loadRealmModule(realmModule), solutionConfig: MVP_CONFIG, logger: silentLogger,
  });
}

function startWorker(env: Env, extra: string[] = []): ChildProcess & { exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [bin, 'worker', '--database-url', env.url, '--artifacts', env.blobs, '--events', env.nats.url,
     '--realm', realmModule, '--config', MVP_CONFIG, '--poll-interval', '1', ...extra],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'error' } },
  ) as ChildProcess & { exited: Promise<number | null> };
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  child.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL') process.stderr.write(`worker exited ${code} ${signal}:\n${stderr}\n`);
  });
  return child;
}

async function submitMany(rt: Runtime, count: number, ms: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await rt.submit({ intentType: 'work.item', tenantId: `t${n % 3}`, sessionId: 's', intentId: `item-${n}`, parameters: { n, ms } });
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(250);
  }
}

/** Reads as an operator (every tenant): the database is used through a role that row-level security applies to. */
const count = async (db: ServerTestDb, sql: string, params: unknown[] = []) =>
  Number((await db.scoped(ANY_TENANT).query<{ n: string }>(sql, params))[0]!.n);

/** Every execution completed exactly once, with a whole journey in the WAL, and every event on JetStream once. */
async function assertExactlyOnce(env: Env, total: number): Promise<void> {
  const { db } = env;
  assert.equal(await count(db, 'SELECT count(*) AS n FROM symphainy.executions'), total, 'one execution row per intent');
  assert.equal(await count(db, "SELECT count(*) AS n FROM symphainy.executions WHERE status = 'completed'"), total, 'all completed');
  assert.equal(await count(db, 'SELECT count(DISTINCT intent_id) AS n FROM symphainy.executions'), total);
  // The journey of each: intent, accepted → queued, (queued → running)+, running → materializing, a decision, materializing → completed.
  const journeys = await db.scoped(ANY_TENANT).query<{ execution_id: string; intents: string; queued: string; started: string; materializing: string; decisions: string; completed: string }>(
    `SELECT execution_id,
            count(*) FILTER (WHERE record_type = 'intent') AS intents,
            count(*) FILTER (WHERE payload->>'to' = 'queued' AND payload->>'from' = 'accepted') AS queued,
            count(*) FILTER (WHERE payload->>'from' = 'queued' AND payload->>'to' = 'running') AS started,
            count(*) FILTER (WHERE payload->>'to' = 'materializing') AS materializing,
            count(*) FILTER (WHERE record_type = 'governance_decision') AS decisions,
            count(*) FILTER (WHERE payload->>'to' = 'completed') AS completed
       FROM symphainy.wal GROUP BY execution_id`,
  );
  assert.equal(journeys.length, total);
  for (const j of journeys) {
    const ok = Number(j.intents) === 1 && Number(j.queued) === 1 && Number(j.started) >= 1 && Number(j.materializing) === 1 &&
      Number(j.decisions) === 1 && Number(j.completed) === 1;
    assert.ok(ok, `incomplete or repeated journey: ${JSON.stringify(j)}`);
  }
  assert.equal(await count(db, 'SELECT count(*) AS n FROM symphainy.artifacts'), total, 'one persisted artifact per execution');
  assert.equal(await count(db, "SELECT count(*) AS n FROM symphainy.outbox WHERE event_type = 'execution.completed'"), total);

  // Every outbox event is on JetStream exactly once, by message id.
  await waitUntil('the outbox is relayed', async () => (await count(db, 'SELECT count(*) AS n FROM symphainy.outbox WHERE published_at IS NULL')) === 0, 60_000);
  const ids = new Set((await db.scoped(ANY_TENANT).query<{ event_id: string }>('SELECT event_id FROM symphainy.outbox')).map((r) => r.event_id));
  const nc = await connect({ servers: env.nats.url });
  try {
    const messages = await readStream(nc, 'SYMPHAINY');
    const seen = new Set(messages.map((m) => m.msgId));
    assert.equal(messages.length, ids.size, `stream has ${messages.length} messages for ${ids.size} outbox events`);
    assert.equal(seen.size, messages.length, 'a message id appears twice on the stream');
    assert.deepEqual([...ids].filter((id) => !seen.has(id)), [], 'outbox events missing from the stream');
  } finally {
    await nc.close();
  }
}

describe('worker processes on one PostgreSQL database', { skip, timeout: 300_000 }, () => {
  const suite = useEnvironment();

  test('three workers drain 1,500 queued intents: each executed exactly once, whole WAL, every event on JetStream once', async () => {
    const { env, rt } = suite;
    const total = 1500;
    await submitMany(rt, total, 0);
    assert.equal(await count(env.db, "SELECT count(*) AS n FROM symphainy.executions WHERE status = 'queued'"), total);
    const workers = [1, 2, 3].map(() => startWorker(env, ['--concurrency', '16']));
    try {
      await waitUntil('all executions finished', async () =>
        (await count(env.db, "SELECT count(*) AS n FROM symphainy.executions WHERE status IN ('queued', 'running')")) === 0, 240_000);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0, 0], 'workers exit cleanly on SIGTERM');
    }
    await assertExactlyOnce(env, total);
    assert.equal(await count(env.db, 'SELECT count(*) AS n FROM symphainy.executions WHERE attempts <> 1'), 0, 'no execution claimed twice');
    // Each worker did a share of the work.
    const owners = await env.db.scoped(ANY_TENANT).query<{ lease_owner: string; n: string }>('SELECT lease_owner, count(*) AS n FROM symphainy.executions GROUP BY lease_owner');
    assert.equal(owners.length, 3, `executions by worker: ${JSON.stringify(owners)}`);
  });
});

describe('a worker killed with SIGKILL mid-run', { skip, timeout: 300_000 }, () => {
  const suite = useEnvironment();

  test('its claimed executions are finished by the others after the lease; nothing lost, nothing completed twice', async () => {
    const { env, rt } = suite;
    const total = 120;
    await submitMany(rt, total, 300);
    const victim = startWorker(env, ['--concurrency', '8', '--lease', '2']);
    // Let it claim and start some, then kill it without any chance to clean up.
    await waitUntil('the victim holds claims', async () =>
      (await count(env.db, "SELECT count(*) AS n FROM symphainy.executions WHERE status = 'running'")) >= 8, 30_000);
    victim.kill('SIGKILL');
    await victim.exited;
    const orphaned = await env.db.scoped(ANY_TENANT).query<{ execution_id: string }>("SELECT execution_id FROM symphainy.executions WHERE status = 'running'");
    assert.ok(orphaned.length > 0, 'the killed worker left claimed executions');

    const survivors = [startWorker(env, ['--concurrency', '8', '--lease', '2']), startWorker(env, ['--concurrency', '8', '--lease', '2'])];
    try {
      await waitUntil('all executions finished', async () =>
        (await count(env.db, "SELECT count(*) AS n FROM symphainy.executions WHERE status IN ('queued', 'running')")) === 0, 120_000);
    } finally {
      for (const w of survivors) w.kill('SIGTERM');
      await Promise.all(survivors.map((w) => w.exited));
    }
    await assertExactlyOnce(env, total);
    // The orphans were taken over: a second attempt, and the WAL says why.
    const retaken = await env.db.scoped(ANY_TENANT).query<{ attempts: number }>(
      'SELECT attempts FROM symphainy.executions WHERE execution_id = ANY($1::text[])', [orphaned.map((o) => o.execution_id)]);
    assert.ok(retaken.every((r) => Number(r.attempts) === 2), `attempts of orphans: ${JSON.stringify(retaken)}`);
    assert.equal(
      await count(env.db, "SELECT count(*) AS n FROM symphainy.wal WHERE payload->>'from' = 'running' AND payload->>'to' = 'queued' AND payload->>'reason' LIKE '%lease%expired%'"),
      orphaned.length,
    );
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRuntime, type Db } from '../../src/index.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { PgDb } from '../../src/db/pg/pg-db.ts';
import { crashRuntimeOptions, TENANT, type LoaderArgs } from '../support/crash-loader.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { freshServerDb, TEST_DRIVER, type ServerTestDb } from '../support/test-runtime.ts';

/**
 * SIGKILL in a loop: a load process (test/support/crash-loader.ts) sends
 * intents on the store of this run's driver; it is killed at a random
 * 10–500 ms after its first answer, restarted (resending every key it had
 * sent without an answer, as a client retrying with the same Idempotency-Key
 * would), killed again… Then the store is recovered (the embedded store by
 * opening it) and counted: acknowledged, found, lost, duplicated, stuck,
 * orphaned, corrupt.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const loader = join(root, 'test/support/crash-loader.ts');
const ROUNDS = Number(process.env.SYMPHAINY_FAULT_ROUNDS ?? 8);
const CONCURRENCY = 6;


interface RoundLog {
  sent: Map<string, number>;
  acked: Map<string, { executionId: string; status: string }>;
  errors: string[];
}

/**
 * Runs the loader until it answered once (or 60 s), waits 10–500 ms,
 * SIGKILLs it; records what it printed in `log` and returns the keys it sent
 * in this round without getting an answer (in flight at the kill).
 */
async function killedRound(args: LoaderArgs, log: RoundLog): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', loader, JSON.stringify(args)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let buffered = '';
  let answered: () => void = () => {};
  const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
  const pending = new Set<string>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [what, key, a, b] = line.split(' ') as [string, string, string?, string?];
      if (what === 'SEND') {
        log.sent.set(key, (log.sent.get(key) ?? 0) + 1);
        pending.add(key);
      }
      if (what === 'ACK' || what === 'ERR') {
        pending.delete(key);
        answered();
      }
      if (what === 'ACK' && !log.acked.has(key)) log.acked.set(key, { executionId: a!, status: b! });
      if (what === 'ERR') log.errors.push(`${key} ${a}`);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const early = await Promise.race([firstAnswer.then(() => false), exited.then(() => true), sleep(60_000).then(() => false)]);
  if (early) throw new Error(`the loader exited before it was killed: ${stderr}`);
  await sleep(10 + Math.floor(Math.random() * 490));
  child.kill('SIGKILL');
  await exited;
  return [...pending];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
    }
  };
  await walk(dir);
  return out;
}

describe(`SIGKILL in a loop under load (${TEST_DRIVER})`, { timeout: 300_000 }, () => {
  let dir: string;
  let server: ServerTestDb | null = null;
  let skip: string | false = false;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-sigkill-'));
    if (TEST_DRIVER === 'postgres') {
      skip = await skipUnlessPostgres();
      if (!skip) server = await freshServerDb();
    }
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test(`${ROUNDS} rounds: zero lost, duplicated and corrupt; stuck and orphaned as far as recovery goes`, async (t) => {
    if (skip) return t.skip(skip);
    const store = TEST_DRIVER;
    const sideEffects = join(dir, 'side-effects');
    await writeFile(sideEffects, '');
    const base = { store, dir: join(dir, 'data'), sideEffects, concurrency: CONCURRENCY, ...(server ? { databaseUrl: server.url } : {}) } as const;
    const log: RoundLog = { sent: new Map(), acked: new Map(), errors: [] };
    /** Keys in flight at a kill (sent, no answer): each may legitimately be left running on a server. */
    const inFlightAtKill = new Set<string>();
    let resend: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      resend = await killedRound({ ...base, round, resend }, log);
      for (const k of resend) inFlightAtKill.add(k);
    }

    // Recovery: the embedded store recovers when opened; on a server any runtime fails a direct
    // execution whose lease lapsed (its process died), so wait for that. Then one sweep collects
    // the blobs a kill left between writing them and committing their rows.
    const runtime = await createRuntime(crashRuntimeOptions(base));
    const deadline = Date.now() + 60_000;
    while ((await runtime.listExecutions({ tenantId: TENANT, status: 'running', limit: 1 })).length > 0) {
      if (Date.now() > deadline) break; // counted as stuck below
      await sleep(200);
    }
    await runtime.sweep({ gcGraceSeconds: 0 });
    const reports = await runtime.verifyWal({ tenantId: TENANT });
    await runtime.close();
    const db: Db = store === 'pglite' ? await PgliteDb.open({ dataDir: join(base.dir, 'db') }) : await PgDb.open({ url: server!.url });
    try {
      const q = db.scoped(TENANT);
      const rows = await q.query<{ intent_id: string; execution_id: string; status: string }>(
        'SELECT intent_id, execution_id, status FROM symphainy.executions WHERE tenant_id = $1',
        [TENANT],
      );
      const byKey = new Map<string, typeof rows>();
      for (const r of rows) byKey.set(r.intent_id, [...(byKey.get(r.intent_id) ?? []), r]);
      const runs = new Map<string, number>();
      for (const k of (await readFile(sideEffects, 'utf8')).split('\n').filter(Boolean)) runs.set(k, (runs.get(k) ?? 0) + 1);

      const acknowledged = [...log.acked].filter(([, a]) => a.status === 'completed');
      const found = acknowledged.filter(([k, a]) => byKey.get(k)?.some((r) => r.execution_id === a.executionId && r.status === 'completed'));
      const lost = acknowledged.filter(([k]) => !found.some(([f]) => f === k)).map(([k]) => k);
      const duplicated = [
        ...[...byKey].filter(([, rs]) => rs.filter((r) => r.status === 'completed').length > 1).map(([k]) => `${k}: completed twice`),
        ...[...runs].filter(([k, n]) => n > (log.sent.get(k) ?? 0)).map(([k, n]) => `${k}: handler ran ${n}× for ${log.sent.get(k) ?? 0} sends`),
      ];
      const stuck = rows.filter((r) => r.status === 'queued' || r.status === 'running').map((r) => r.intent_id);
      const corrupt = reports.filter((r) => !r.ok).map((r) => `${r.tenantId}: ${r.problem?.kind} at ${r.problem?.seq}: ${r.problem?.message}`);

      // Orphaned: blob-store files no index row references (temp files, manifests of unindexed artifacts, unreferenced blobs).
      const artifacts = await q.query<{ artifact_id: string; renderings: unknown }>('SELECT artifact_id, renderings FROM symphainy.artifacts WHERE tenant_id = $1', [TENANT]);
      const ids = new Set(artifacts.map((a) => a.artifact_id));
      const hashes = new Set(artifacts.flatMap((a) => JSON.stringify(a.renderings).match(/[0-9a-f]{64}/g) ?? []));
      const blobRoot = join(base.dir, 'blobs');
      const orphaned = (await listFiles(blobRoot)).map((f) => relative(blobRoot, f)).filter((f) => {
        if (f.endsWith('.tmp')) return true;
        const manifest = /\/artifacts\/(art_[^/]+)\.json$/.exec(f);
        if (manifest) return !ids.has(manifest[1]!);
        const blob = /\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(f);
        return blob ? !hashes.has(blob[1]!) : false;
      });

      const counts = {
        rounds: ROUNDS, sent: log.sent.size, acknowledged: acknowledged.length, found: found.length, lost: lost.length,
        duplicated: duplicated.length, stuck: stuck.length, orphaned: orphaned.length, corrupt: corrupt.length,
        inFlightAtKill: inFlightAtKill.size, answeredWithError: log.errors.length,
      };
      t.diagnostic(`SIGKILL loop (${store}): ${JSON.stringify(counts)}`);

      assert.ok(acknowledged.length >= ROUNDS, `too little load to judge: ${JSON.stringify(counts)}`);
      assert.deepEqual(lost, [], 'acknowledged executions lost');
      assert.deepEqual(duplicated, [], 'executions duplicated');
      assert.deepEqual(corrupt, [], 'WAL chain broken');
      // A resent key answers with its recorded outcome; it never runs again as a new execution.
      for (const [k, rs] of byKey) assert.equal(rs.length, 1, `${k}: ${rs.length} executions`);

      assert.deepEqual(stuck, [], 'executions left non-terminal after recovery');
      assert.deepEqual(orphaned, [], 'blob-store files nothing references');
    } finally {
      await db.close();
    }
  });
});

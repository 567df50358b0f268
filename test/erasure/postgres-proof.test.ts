import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ANY_TENANT, createRuntime } from '../../src/index.ts';
import { withDefaultUser } from '../../src/db/pg/database-url.ts';
import { SERVICES } from '../support/services.ts';
import { freshServerDb, silentLogger, TEST_DRIVER } from '../support/test-runtime.ts';
import { crm, filesHolding, MVP_POLICY, runCustomerNotes, SUBJECTS_POLICY } from './support.ts';

const run = promisify(execFile);

async function admin<T>(fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(withDefaultUser(SERVICES.postgres));
  if (database) url.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function pgDump(database: string, file: string): Promise<string> {
  const url = new URL(withDefaultUser(SERVICES.postgres));
  url.pathname = `/${database}`;
  await run('pg_dump', ['--no-owner', '--no-privileges', '-f', file, url.toString()]);
  return readFile(file, 'utf8');
}

describe('erasure by key destruction on PostgreSQL', { skip: TEST_DRIVER === 'postgres' ? false : 'needs SYMPHAINY_TEST_DRIVER=postgres' }, () => {
  it("after erasing a subject, its marker is in no readable file of the server's data directory nor in a new pg_dump; a dump from before no longer opens", async () => {
    const db = await freshServerDb();
    const work = await mkdtemp(join(tmpdir(), 'symphainy-pg-erasure-'));
    const database = new URL(db.url).pathname.slice(1);
    const restored = `${database}_restored`;
    const marker = `PG-CUSTOMER-MARKER-${process.pid}-${Date.now()}`;
    // Own key store unless the run shares one (test:postgres exports SYMPHAINY_KEY_DIR and SYMPHAINY_KEK).
    const keyDir = process.env.SYMPHAINY_KEY_DIR ?? join(work, 'keys');
    const rt = await createRuntime({
      databaseUrl: db.url, keyDir, artifacts: join(work, 'blobs'), realms: [crm], solutionConfig: MVP_POLICY,
      platformPolicy: SUBJECTS_POLICY, logger: silentLogger,
    });
    try {
      const { erased, kept } = await runCustomerNotes(rt, 'acme', marker);
      const before = await pgDump(database, join(work, 'before.sql'));
      assert.ok(before.includes('sye1:'), 'the dump holds sealed values');
      assert.equal(before.includes(marker), false, 'sealed before it was written: not in the dump in clear');

      const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: marker } });
      assert.deepEqual([...report.executions].sort(), [...erased].sort());
      assert.equal(report.keys.destroyed.length, 1);
      assert.equal((await rt.getExecution(kept, { tenantId: 'acme' })).parameters.note, 'kept', "another customer's record opens");
      assert.ok((await rt.verifyWal({ tenantId: ANY_TENANT })).every((r) => r.ok));

      const dataDirectory = await admin(async (c) => {
        await c.query('CHECKPOINT');
        return (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
      });
      const scan = await filesHolding(dataDirectory, marker);
      assert.ok(scan.scanned > 0, `read the server's data directory ${dataDirectory}`);
      assert.deepEqual(scan.found, [], 'the marker is in no readable file of the data directory');
      assert.equal((await pgDump(database, join(work, 'after.sql'))).includes(marker), false);

      // The dump from before erasure, restored: its sealed parameters no longer open — the key is destroyed.
      await admin((c) => c.query(`CREATE DATABASE ${restored}`));
      const url = new URL(withDefaultUser(SERVICES.postgres));
      url.pathname = `/${restored}`;
      await run('psql', ['-q', '-v', 'ON_ERROR_STOP=0', '-f', join(work, 'before.sql'), url.toString()]);
      const rows = await admin(async (c) => (await c.query<{ execution_id: string; parameters: string }>(
        'SELECT execution_id, parameters FROM symphainy.executions WHERE execution_id = ANY($1::text[])', [erased])).rows, restored);
      assert.equal(rows.length, 3);
      for (const r of rows) {
        assert.match(r.parameters, /^sye1:/);
        await assert.rejects(rt.cipher!.envelope.openText(r.parameters, { tenantId: 'acme', record: `execution:${r.execution_id}`, field: 'parameters' }),
          (err: Error & { code?: string }) => err.code === 'SYM_ERR_KEY_DESTROYED' && err.message.includes(`execution:${r.execution_id}`));
      }
    } finally {
      await rt.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`));
      await db.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});

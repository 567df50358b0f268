import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ANY_TENANT, createRuntime, parsePlatformPolicy } from '../../src/index.ts';
import { silentLogger, testRuntime } from '../support/test-runtime.ts';
import { crm, filesHolding, MVP_POLICY, SUBJECTS_POLICY } from './support.ts';

describe('encryption at rest, wired into the runtime', () => {
  it('stores parameters, results and WAL content sealed, and opens them through the runtime', async () => {
    const t = await testRuntime({ realms: [crm], solutionConfig: MVP_POLICY, platformPolicy: SUBJECTS_POLICY });
    try {
      const r = await t.runtime.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: 'c-1', note: 'secret words' } });
      const [row] = await t.db.scoped(ANY_TENANT).query<{ parameters: unknown; result: unknown; state: { semantic: { workflow: { payload: unknown } } }; key_ids: string[] }>(
        'SELECT parameters, result, state, key_ids FROM symphainy.executions WHERE execution_id = $1', [r.executionId]);
      assert.match(String(row!.parameters), /^sye1:/);
      assert.match(String(row!.result), /^sye1:/);
      assert.match(String(row!.state.semantic.workflow.payload), /^sye1:/);
      assert.deepEqual(row!.key_ids.map((k) => k[0]), ['t', 's', 'u'], 'tenant, session and the declared subject cover it');
      const wal = await t.db.scoped(ANY_TENANT).query<{ payload: { intent: { parameters: unknown } } }>(
        "SELECT payload FROM symphainy.wal WHERE execution_id = $1 AND record_type = 'intent'", [r.executionId]);
      assert.match(String(wal[0]!.payload.intent.parameters), /^sye1:/);

      const e = await t.runtime.getExecution(r.executionId, { tenantId: 'acme' });
      assert.deepEqual(e.parameters, { customer_id: 'c-1', note: 'secret words' });
      assert.deepEqual((e.state as unknown as { semantic: { workflow: { payload: unknown } } }).semantic.workflow.payload, { customer_id: 'c-1', note: 'secret words' });
      const [intent] = await t.runtime.listWal({ tenantId: 'acme', executionId: r.executionId, recordType: 'intent' });
      assert.equal((intent!.payload.intent as { parameters: { note: string } }).parameters.note, 'secret words');
    } finally {
      await t.close();
    }
  });

  it('with encryption: false, content is stored in clear', async () => {
    const t = await testRuntime({ realms: [crm], solutionConfig: MVP_POLICY, encryption: false });
    try {
      const r = await t.runtime.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: 'c-1', note: 'plain' } });
      const [row] = await t.db.scoped(ANY_TENANT).query<{ parameters: { note: string } }>('SELECT parameters FROM symphainy.executions WHERE execution_id = $1', [r.executionId]);
      assert.equal(row!.parameters.note, 'plain');
      assert.equal(t.runtime.cipher, null);
    } finally {
      await t.close();
    }
  });

  it('with encryption: false on the embedded store, erasure vacuums the touched tables and says what it could not do', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-clear-erasure-'));
    const marker = `CLEAR-MARKER-${process.pid}-${Date.now()}`;
    try {
      const rt = await createRuntime({ dataDir, realms: [crm], solutionConfig: MVP_POLICY, encryption: false, logger: silentLogger }, { env: {} });
      try {
        await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: marker, note: `about ${marker}` } });
        const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: marker } });
        assert.equal(report.keys.off, true);
        assert.match(report.keys.fallback ?? '', /encryption at rest is off, so no key could be destroyed: the content was redacted and the touched tables vacuumed/);
      } finally {
        await rt.close();
      }
      // The database's own WAL segments keep it until recycled, as the report says: only keys close those.
      assert.deepEqual((await filesHolding(join(dataDir, 'db'), marker)).found.filter((f) => !/pg_wal/.test(f)), [], 'no table file holds it');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start when the KEK file is gone but wrapped keys remain (never a new KEK in its place)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-kek-'));
    try {
      const open = () => createRuntime({ dataDir, realms: [crm], solutionConfig: MVP_POLICY, logger: silentLogger }, { env: {} });
      const rt = await open();
      await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: 'c-1', note: 'x' } });
      await rt.close();
      await unlink(join(dataDir, 'kek'));
      await assert.rejects(open(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SYM_ERR_CONFIG');
        assert.match(err.message, /key-encryption key file .*kek is missing, but .*keys holds \d+ wrapped keys/);
        return true;
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a platform policy names each bad subject', () => {
    assert.throws(() => parsePlatformPolicy({ subjects: 'customer_id' }), /subjects: expected a list of intent parameter names/);
    assert.throws(() => parsePlatformPolicy({ subjects: ['ok', 'bad name', 'ok'] }), (err: Error) => {
      assert.match(err.message, /subjects\[1\]: expected a parameter name/);
      assert.match(err.message, /subjects\[2\]: 'ok' is listed twice/);
      return true;
    });
    assert.deepEqual(parsePlatformPolicy({ subjects: ['customer_id'] }).subjects, ['customer_id']);
  });
});

import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openEmbeddedKeyring } from '../../src/crypto/embedded-keyring.ts';
import { Envelope } from '../../src/crypto/envelope.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { ANY_TENANT, createRuntime } from '../../src/index.ts';
import { silentLogger } from '../support/test-runtime.ts';
import { crm, filesHolding, MVP_POLICY, runCustomerNotes, SUBJECTS_POLICY } from './support.ts';

const open = (dataDir: string) =>
  createRuntime({ dataDir, realms: [crm], solutionConfig: MVP_POLICY, platformPolicy: SUBJECTS_POLICY, logger: silentLogger });

describe('erasure by key destruction on the embedded store', () => {
  it('after erasing a subject, its marker is in no file of the data dir, and a copy taken before no longer opens', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-erasure-proof-'));
    const snapshot = await mkdtemp(join(tmpdir(), 'symphainy-erasure-snapshot-'));
    const marker = `CUSTOMER-MARKER-${process.pid}-${Date.now()}`;
    try {
      let rt = await open(dataDir);
      const { erased, kept } = await runCustomerNotes(rt, 'acme', marker);
      assert.equal((await rt.getExecution(erased[0]!, { tenantId: 'acme' })).parameters.customer_id, marker, 'read through the runtime, the record opens');
      await rt.close();
      // Sealed before it was written: not even the live files hold it in clear.
      assert.deepEqual((await filesHolding(dataDir, marker)).found, []);
      await cp(join(dataDir, 'db'), join(snapshot, 'db'), { recursive: true });

      rt = await open(dataDir);
      const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: marker } });
      assert.deepEqual([...report.executions].sort(), [...erased].sort());
      assert.equal(report.keys.destroyed.length, 1, "the customer's data key");
      assert.match(report.keys.destroyed[0]!, /^u\./);
      assert.match(report.scope.subject!.valueHmac!, /^[0-9a-f]{64}$/);
      assert.equal(report.scope.subject!.valueHmac!.includes(marker), false);
      // The other customer's records, explain, WAL verify and sweep work on.
      assert.equal((await rt.getExecution(kept, { tenantId: 'acme' })).parameters.note, 'kept');
      assert.ok((await rt.explainExecution(kept, { tenantId: 'acme' })).artifacts.length > 0);
      assert.ok((await rt.verifyWal({ tenantId: ANY_TENANT })).every((r) => r.ok));
      await rt.sweep();
      await assert.rejects(rt.retryExecution(erased[0]!, { tenantId: 'acme' }, { requestedBy: 'ops' }), /was erased; an erased execution cannot be retried/);
      await rt.close();

      const scan = await filesHolding(dataDir, marker);
      assert.ok(scan.scanned > 10, `the whole data dir was read (${scan.scanned} files)`);
      assert.deepEqual(scan.found, [], 'the marker is in no file of the data dir');

      // The copy from before erasure holds the records sealed; their key is gone.
      const old = await PgliteDb.open({ dataDir: join(snapshot, 'db') });
      try {
        const [row] = await old.scoped(ANY_TENANT).query<{ parameters: string }>('SELECT parameters FROM symphainy.executions WHERE execution_id = $1', [erased[0]]);
        assert.match(row!.parameters, /^sye1:/);
        const envelope = new Envelope(await openEmbeddedKeyring(dataDir));
        await assert.rejects(envelope.openText(row!.parameters, { tenantId: 'acme', record: `execution:${erased[0]}`, field: 'parameters' }), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'SYM_ERR_KEY_DESTROYED');
          assert.match(err.message, new RegExp(`execution:${erased[0]}`));
          return true;
        });
      } finally {
        await old.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await rm(snapshot, { recursive: true, force: true });
    }
  });

  it('keeps the keys while an unfinished execution is in scope, and says why', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-erasure-kept-'));
    try {
      const rt = await open(dataDir);
      try {
        await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: 'c-7', note: 'done' } });
        await rt.submit({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: 'c-7', note: 'queued' } });
        const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: 'c-7' } });
        assert.equal(report.unfinished.length, 1);
        assert.deepEqual(report.keys.destroyed, []);
        assert.match(report.keys.kept!, /1 unfinished execution .* still need/);
      } finally {
        await rt.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('an undeclared subject falls back to redaction plus VACUUM, and the report says so', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-erasure-fallback-'));
    try {
      const rt = await createRuntime({ dataDir, realms: [crm], solutionConfig: MVP_POLICY, logger: silentLogger });
      try {
        const r = await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's', parameters: { customer_id: 'c-8', note: 'x' } });
        const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: 'c-8' } });
        assert.deepEqual(report.executions, [r.executionId]);
        assert.deepEqual(report.keys.destroyed, []);
        assert.match(report.keys.fallback!, /not declared .* redacted and the touched tables vacuumed/);
      } finally {
        await rt.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

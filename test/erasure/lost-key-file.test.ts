import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseKeyId } from '../../src/crypto/index.ts';
import { createRuntime, type Runtime } from '../../src/index.ts';
import { freshDb, silentLogger, type TestDb } from '../support/test-runtime.ts';
import { crm, MVP_POLICY, SUBJECTS_POLICY } from './support.ts';

// A data key file lost (deleted, a key dir restored from an older backup) is not an erasure: writing
// under its scope refuses, naming the key and its file, instead of issuing the same key id with new
// bytes (which would make the old records fail as if tampered with, and the new ones once the file is
// restored). An erasure destroys keys on purpose: the scope's next write gets a new key id.

const note = (customer: string, sessionId = 's1') =>
  ({ intentType: 'crm.note', tenantId: 'acme', sessionId, parameters: { customer_id: customer, note: `about ${customer}` } });

describe('a lost data key file, on a runtime (key directory of files)', () => {
  let db: TestDb;
  let dir: string;
  let keyDir: string;
  const open = (): Promise<Runtime> =>
    createRuntime({ db, keyDir, realms: [crm], solutionConfig: MVP_POLICY, platformPolicy: SUBJECTS_POLICY, logger: silentLogger });
  const keyFiles = async () => (await readdir(keyDir)).filter((n) => n.endsWith('.key'));
  const idsOf = async (executionId: string) => {
    const [row] = await db.scoped('acme').query<{ key_ids: string[] }>('SELECT key_ids FROM symphainy.executions WHERE execution_id = $1', [executionId]);
    return row!.key_ids;
  };
  before(async () => {
    db = await freshDb();
    dir = await mkdtemp(join(tmpdir(), 'symphainy-lost-key-'));
    keyDir = join(dir, 'keys');
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['tenant', 'session', 'subject'] as const) {
    it(`${kind} key: a write refuses with SYM_ERR_KEY_UNAVAILABLE naming the key and its file; restoring the file heals old and new records`, async () => {
      const customer = `c-${kind}`;
      const session = `s-${kind}`;
      let rt = await open();
      const first = await rt.execute(note(customer, session));
      const ids = await idsOf(first.executionId);
      await rt.close();
      const lost = ids.find((id) => parseKeyId(id)?.kind === kind)!;
      const file = join(keyDir, `${lost}.key`);
      await copyFile(file, join(dir, 'backup.key'));
      await rm(file);

      rt = await open();
      try {
        await assert.rejects(rt.execute(note(customer, session)), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'SYM_ERR_KEY_UNAVAILABLE', e.message);
          assert.ok(e.message.includes(lost) && e.message.includes(file), e.message);
          return true;
        });
        assert.ok(!(await keyFiles()).includes(`${lost}.key`), 'the lost id was not issued again');
        await assert.rejects(rt.getExecution(first.executionId, { tenantId: 'acme' }), (e: Error & { code?: string }) => e.code === 'SYM_ERR_KEY_UNAVAILABLE' && e.message.includes(lost));
      } finally {
        await rt.close();
      }

      await copyFile(join(dir, 'backup.key'), file);
      rt = await open();
      try {
        assert.equal((await rt.getExecution(first.executionId, { tenantId: 'acme' })).parameters.customer_id, customer);
        const again = await rt.execute(note(customer, session));
        assert.ok((await idsOf(again.executionId)).includes(lost));
        assert.equal((await rt.getExecution(again.executionId, { tenantId: 'acme' })).parameters.customer_id, customer);
      } finally {
        await rt.close();
      }
    });
  }

  it('erasing the tenant after its key file was lost: the next write gets a new key id, and the old data stays unreadable', async () => {
    let rt = await open();
    const first = await rt.execute(note('c-erase', 's-erase'));
    const tenantKey = (await idsOf(first.executionId)).find((id) => id.startsWith('t.'))!;
    await rt.close();
    await rm(join(keyDir, `${tenantKey}.key`));
    rt = await open();
    try {
      const report = await rt.erase({ tenantId: 'acme' });
      assert.ok(report.keys.destroyed.includes(tenantKey), report.keys.destroyed.join(' '));
      const next = await rt.execute(note('c-erase', 's-erase'));
      const nextIds = await idsOf(next.executionId);
      assert.ok(!nextIds.includes(tenantKey));
      assert.ok(nextIds.some((id) => parseKeyId(id)?.scopeName === parseKeyId(tenantKey)!.scopeName && parseKeyId(id)!.generation > 1), nextIds.join(' '));
      assert.equal((await rt.getExecution(next.executionId, { tenantId: 'acme' })).parameters.customer_id, 'c-erase');
      const old = await rt.getExecution(first.executionId, { tenantId: 'acme' });
      assert.deepEqual(old.parameters, { redacted: true, erasureId: report.erasureId });
    } finally {
      await rt.close();
    }
  });
});

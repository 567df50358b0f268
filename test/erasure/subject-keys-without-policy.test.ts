import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRuntime, type Runtime } from '../../src/index.ts';
import { freshDb, silentLogger, type TestDb } from '../support/test-runtime.ts';
import { crm, MVP_POLICY, SUBJECTS_POLICY } from './support.ts';

// A subject's key exists because a runtime that declared the subject sealed under it. An erasure run
// without that platform policy (another process, a forgotten flag) must still find and destroy it:
// from the key store (the subject's keyed id) and from the executions' recorded key ids.

describe('erasing a subject without the platform policy that declared it', () => {
  let db: TestDb;
  let dir: string;
  let keyDir: string;
  const open = (declared: boolean): Promise<Runtime> =>
    createRuntime({ db, keyDir, realms: [crm], solutionConfig: MVP_POLICY, logger: silentLogger, ...(declared ? { platformPolicy: SUBJECTS_POLICY } : {}) });
  before(async () => {
    db = await freshDb();
    dir = await mkdtemp(join(tmpdir(), 'symphainy-subject-keys-'));
    keyDir = join(dir, 'keys');
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("destroys the subject's key it finds in the key store, and never says the subject has no key of its own", async () => {
    let rt = await open(true);
    const run = await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's1', parameters: { customer_id: '43', note: 'call back' } });
    const other = await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's1', parameters: { customer_id: '44', note: 'kept' } });
    const [row] = await db.scoped('acme').query<{ key_ids: string[] }>('SELECT key_ids FROM symphainy.executions WHERE execution_id = $1', [run.executionId]);
    const subjectKey = row!.key_ids.find((id) => id.startsWith('u.'))!;
    await rt.close();

    rt = await open(false);
    try {
      const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: '43' } });
      assert.deepEqual(report.executions, [run.executionId]);
      assert.deepEqual(report.keys.destroyed, [subjectKey]);
      assert.doesNotMatch(report.keys.fallback ?? '', /no key of its own/);
      assert.ok((await readdir(keyDir)).includes(`${subjectKey}.destroyed`));
      assert.ok(!(await readdir(keyDir)).includes(`${subjectKey}.key`));
      assert.equal((await rt.getExecution(other.executionId, { tenantId: 'acme' })).parameters.note, 'kept');
    } finally {
      await rt.close();
    }
    // A runtime that declares the subject again finds the old records gone, and seals new ones under a new key.
    rt = await open(true);
    try {
      const again = await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's1', parameters: { customer_id: '43', note: 'new' } });
      const [next] = await db.scoped('acme').query<{ key_ids: string[] }>('SELECT key_ids FROM symphainy.executions WHERE execution_id = $1', [again.executionId]);
      assert.equal(next!.key_ids.find((id) => id.startsWith('u.')), subjectKey.replace(/\.1$/, '.2'));
    } finally {
      await rt.close();
    }
  });

  it('a subject value and a session nobody used: nothing matched, no key made or destroyed', async () => {
    const rt = await open(true);
    try {
      const before = (await readdir(keyDir)).sort();
      const subject = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: 'nobody-used-this' } });
      assert.deepEqual([subject.executions, subject.unfinished, subject.keys.destroyed], [[], [], []]);
      assert.equal(subject.keys.fallback, undefined, 'nothing was redacted in place of a key');
      const session = await rt.erase({ tenantId: 'acme', sessionId: 'no-such-session' });
      assert.deepEqual([session.executions, session.keys.destroyed], [[], []]);
      assert.deepEqual((await readdir(keyDir)).sort(), before, 'no key file, tombstone or issue record was added');
    } finally {
      await rt.close();
    }
  });

  it('a subject that never had a key (never declared) falls back to redaction, and says so', async () => {
    const rt = await open(false);
    try {
      const r = await rt.execute({ intentType: 'crm.note', tenantId: 'acme', sessionId: 's2', parameters: { customer_id: '45', note: 'x' } });
      const report = await rt.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: '45' } });
      assert.deepEqual(report.executions, [r.executionId]);
      assert.deepEqual(report.keys.destroyed, []);
      assert.match(report.keys.fallback!, /has no key of its own/);
    } finally {
      await rt.close();
    }
  });
});

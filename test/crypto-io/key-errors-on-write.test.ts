import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Envelope, type ContentCipher, type Cover, type RecordRef } from '../../src/crypto/index.ts';
import { KeyUnavailableError } from '../../src/errors/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { createRuntime, type Runtime } from '../../src/index.ts';
import { freshDb, SOP_TEXT, silentLogger, type TestDb } from '../support/test-runtime.ts';
import { freshKeyring } from '../crypto/crypto-fixtures.ts';

// A key that cannot seal a completion (lost or unreadable between the intent and its result) is
// recorded and reported as the key error it is, never as SYM_ERR_STORE or an unknown outcome.

/** An envelope whose sealing of the named fields fails as a lost key would. */
class FailingEnvelope extends Envelope {
  failing = new Set<string>();
  override async sealText(plaintext: Uint8Array | string, cover: Cover, ref: RecordRef): Promise<string> {
    if (this.failing.has(ref.field)) throw new KeyUnavailableError(`data key 't.test.1' is lost (record '${ref.record}#${ref.field}')`);
    return super.sealText(plaintext, cover, ref);
  }
}

describe('a key error while recording an outcome', () => {
  let db: TestDb;
  let k: Awaited<ReturnType<typeof freshKeyring>>;
  let envelope: FailingEnvelope;
  let rt: Runtime;
  before(async () => {
    db = await freshDb();
    k = await freshKeyring();
    envelope = new FailingEnvelope(k.keyring);
    const cipher: ContentCipher = { envelope, subjectNames: () => [] };
    rt = await createRuntime({ db, realms: [...exampleRealms], logger: silentLogger }, { cipher });
  });
  after(async () => {
    await rt.close();
    await db.close();
    await k.cleanup();
  });
  const run = (sessionId: string) =>
    rt.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'acme', sessionId, parameters: { sop_text: SOP_TEXT } });

  it('the outcome cannot be sealed: the execution fails with SYM_ERR_KEY_UNAVAILABLE, not SYM_ERR_STORE', async () => {
    envelope.failing = new Set(['state.semantic.workflow']);
    const r = await run('s1');
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'SYM_ERR_KEY_UNAVAILABLE', JSON.stringify(r.error));
    assert.match(r.error!.message, /t\.test\.1/);
  });

  it('neither the outcome nor the failure can be sealed: the caller gets the key error, not "outcome unknown"', async () => {
    envelope.failing = new Set(['state.semantic.workflow', 'error.message']);
    await assert.rejects(run('s2'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SYM_ERR_KEY_UNAVAILABLE', e.message);
      return true;
    });
  });
});

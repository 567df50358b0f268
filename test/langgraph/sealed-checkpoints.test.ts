import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { fromStored } from '../../src/checkpoints/checkpoint-content.ts';
import { ANY_TENANT, parsePlatformPolicy, parseSolutionConfig } from '../../src/index.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { testRuntime } from '../support/test-runtime.ts';

// With encryption at rest (the default) checkpoint content is sealed under the tenant's, the
// thread's and each declared subject's keys: no row holds it in clear, no clear digest confirms a
// guessed subject, and erasing the subject closes every copy taken before.

const MARKER = `CHECKPOINT-MARKER-${process.pid}`;

test('checkpoints, channel values and writes are sealed at rest, open through the saver, and an erased subject closes copies taken before', async () => {
  const t = await testRuntime({
    solutionConfig: parseSolutionConfig({ materialization_policy: { checkpoint: { decision: 'persist', keep_latest: 5 } } }),
    platformPolicy: parsePlatformPolicy({ subjects: ['customer_id'] }),
  });
  try {
    const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    const config = { configurable: { thread_id: 'th-sealed', customer_id: 'C-42' } };
    const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { note: `${MARKER} in a channel` }, channel_versions: { note: 1 } };
    const saved = await saver.put(config, checkpoint, { source: 'input', step: -1, parents: {}, customer_id: 'C-42' } as never, { note: 1 });
    await saver.putWrites({ configurable: { ...config.configurable, ...saved.configurable } }, [['note', `${MARKER} in a write`]], 'task-1');
    // Another customer's thread stays readable after the erasure.
    const other = await saver.put({ configurable: { thread_id: 'th-other', customer_id: 'C-7' } }, { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { note: 'kept' }, channel_versions: { note: 1 } }, { source: 'input', step: -1, parents: {} }, { note: 1 });

    const back = await saver.getTuple(config);
    assert.equal(back?.checkpoint.channel_values.note, `${MARKER} in a channel`);
    assert.deepEqual(back?.pendingWrites, [['task-1', 'note', `${MARKER} in a write`]]);

    const q = t.db.scoped(ANY_TENANT);
    const rows = [
      ...(await q.query<{ v: Uint8Array }>("SELECT checkpoint AS v FROM symphainy.checkpoints WHERE thread_id = 'th-sealed'")),
      ...(await q.query<{ v: Uint8Array }>("SELECT metadata AS v FROM symphainy.checkpoints WHERE thread_id = 'th-sealed'")),
      ...(await q.query<{ v: Uint8Array }>("SELECT blob AS v FROM symphainy.checkpoint_blobs WHERE thread_id = 'th-sealed'")),
      ...(await q.query<{ v: Uint8Array }>("SELECT value AS v FROM symphainy.checkpoint_writes WHERE thread_id = 'th-sealed'")),
    ].map((r) => Buffer.from(r.v));
    assert.equal(rows.length, 4);
    for (const bytes of rows) {
      assert.equal(bytes[0], 2, 'sealed format');
      assert.equal(bytes.includes(MARKER), false, 'no content in clear');
      assert.equal(bytes.includes('C-42'), false, 'no subject value in clear');
    }
    const [hashes] = await q.query<{ subject_hashes: string[] }>("SELECT subject_hashes FROM symphainy.checkpoints WHERE thread_id = 'th-sealed'");
    const plain = createHash('sha256').update('customer_id=C-42').digest('hex');
    assert.ok(hashes!.subject_hashes.length > 0);
    assert.equal(hashes!.subject_hashes.includes(plain), false, 'the subject digest is keyed, not a guessable sha256');

    const report = await t.runtime.erase({ tenantId: 'acme', subject: { key: 'customer_id', value: 'C-42' } });
    assert.deepEqual(report.checkpoints.threadsErased, ['th-sealed']);
    assert.ok(report.keys.destroyed.length >= 1, "the customer's key is destroyed");
    assert.equal(await saver.getTuple(config), undefined);
    assert.equal((await saver.getTuple({ configurable: { thread_id: 'th-other' } }))?.checkpoint.id, other.configurable?.checkpoint_id);
    // A copy of the rows taken before (a dump, a dead row version) no longer opens.
    for (const bytes of rows) {
      await assert.rejects(fromStored({ tenantId: 'acme', threadId: 'th-sealed', cipher: t.runtime.cipher! }, bytes), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SYM_ERR_KEY_DESTROYED');
        assert.match(err.message, /thread:th-sealed/);
        return true;
      });
    }
  } finally {
    await t.close();
  }
});

test('with encryption off checkpoints are stored in clear (format 1) and sealed bytes are refused by name', async () => {
  const t = await testRuntime({
    encryption: false,
    solutionConfig: parseSolutionConfig({ materialization_policy: { checkpoint: 'persist' } }),
  });
  try {
    const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    await saver.put({ configurable: { thread_id: 'th-1' } }, { ...emptyCheckpoint(), id: uuid6(-3) }, { source: 'input', step: -1, parents: {} }, {});
    const [row] = await t.db.scoped(ANY_TENANT).query<{ v: Uint8Array }>('SELECT checkpoint AS v FROM symphainy.checkpoints');
    assert.equal(Buffer.from(row!.v)[0], 1);
    await assert.rejects(fromStored({ tenantId: 'acme', threadId: 'th-1' }, new Uint8Array([2, 1, 2, 3])), /is sealed, and this runtime has encryption off/);
  } finally {
    await t.close();
  }
});

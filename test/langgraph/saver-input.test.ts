import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { parseSolutionConfig } from '../../src/index.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { META, withSaver } from '../support/saver-runtime.ts';
import { testRuntime } from '../support/test-runtime.ts';

// Every argument of the saver is checked at its boundary: a bad one is refused with
// SYM_ERR_INVALID_REQUEST naming it (`checkpoint.id`, `writes[2][0]`, `options.limit`…), never a
// database error or a TypeError, and nothing of the call is stored. After runtime.close() every
// method fails with SYM_ERR_RUNTIME_CLOSED.

const checkpoint = (extra: Record<string, unknown> = {}): Checkpoint => ({ ...emptyCheckpoint(), id: uuid6(-3), ...extra }) as Checkpoint;

async function refused(call: () => Promise<unknown> | unknown, path: string): Promise<void> {
  await assert.rejects(async () => call(), (err: Error & { code?: string; issues?: { path: string }[] }) => {
    assert.equal(err.code, 'SYM_ERR_INVALID_REQUEST', `${path}: ${err.name}: ${err.message}`);
    assert.equal(err.issues?.[0]?.path, path, err.message);
    assert.ok(err.message.includes(path), `the message names ${path}: ${err.message}`);
    return true;
  });
}

const drain = async (it: AsyncIterable<unknown>) => {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
};

test('the constructor names runtime and options.serde when they are not what a saver needs', async () => {
  await withSaver(async (_saver, t) => {
    await refused(() => new SymphainyCheckpointSaver(null as never, { tenantId: 'acme' }), 'runtime');
    await refused(() => new SymphainyCheckpointSaver({} as never, { tenantId: 'acme' }), 'runtime');
    await refused(() => new SymphainyCheckpointSaver(t.runtime, undefined as never), 'tenantId');
    await refused(() => new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme', serde: 5 as never }), 'options.serde');
    await refused(() => new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme', serde: { dumpsTyped: () => 1 } as never }), 'options.serde');
  });
});

test('put names the config, checkpoint, metadata or version that is wrong, and stores nothing', async () => {
  await withSaver(async (saver, t) => {
    const cfg = { configurable: { thread_id: 'th-1' } };
    const put = (config: unknown, cp: unknown, meta: unknown = META, versions: unknown = {}) =>
      saver.put(config as never, cp as never, meta as never, versions as never);
    await refused(() => put(undefined, checkpoint()), 'config');
    await refused(() => put('th-1', checkpoint()), 'config');
    await refused(() => put({}, checkpoint()), 'config.configurable.thread_id');
    await refused(() => put({ configurable: 'x' }, checkpoint()), 'config.configurable');
    await refused(() => put({ configurable: { thread_id: 'th 1' } }, checkpoint()), 'config.configurable.thread_id');
    await refused(() => put({ configurable: { thread_id: 'th-1', checkpoint_ns: 'a\u0000b' } }, checkpoint()), 'config.configurable.checkpoint_ns');
    await refused(() => put({ configurable: { thread_id: 'th-1', checkpoint_ns: 7 } }, checkpoint()), 'config.configurable.checkpoint_ns');
    await refused(() => put({ configurable: { thread_id: 'th-1', checkpoint_ns: 'x'.repeat(1025) } }, checkpoint()), 'config.configurable.checkpoint_ns');
    await refused(() => put({ configurable: { thread_id: 'th-1', checkpoint_id: 'p\u0000' } }, checkpoint()), 'config.configurable.checkpoint_id');
    await refused(() => put(cfg, null), 'checkpoint');
    await refused(() => put(cfg, 'abc'), 'checkpoint');
    await refused(() => put(cfg, [checkpoint()]), 'checkpoint');
    await refused(() => put(cfg, checkpoint({ id: undefined })), 'checkpoint.id');
    await refused(() => put(cfg, checkpoint({ id: '' })), 'checkpoint.id');
    await refused(() => put(cfg, checkpoint({ id: 42 })), 'checkpoint.id');
    await refused(() => put(cfg, checkpoint({ id: 'a\u0000b' })), 'checkpoint.id');
    await refused(() => put(cfg, checkpoint({ id: 'a\ud800b' })), 'checkpoint.id');
    await refused(() => put(cfg, checkpoint({ id: 'x'.repeat(256) })), 'checkpoint.id');
    await refused(() => put(cfg, checkpoint({ v: '4' })), 'checkpoint.v');
    await refused(() => put(cfg, checkpoint({ ts: 5 })), 'checkpoint.ts');
    await refused(() => put(cfg, checkpoint({ channel_values: 'x' })), 'checkpoint.channel_values');
    await refused(() => put(cfg, checkpoint({ channel_versions: [] })), 'checkpoint.channel_versions');
    await refused(() => put(cfg, checkpoint({ channel_versions: { a: {} } })), 'checkpoint.channel_versions.a');
    await refused(() => put(cfg, checkpoint({ channel_versions: { a: Number.NaN } })), 'checkpoint.channel_versions.a');
    await refused(() => put(cfg, checkpoint({ channel_versions: { 'a\u0000': 1 } })), 'checkpoint.channel_versions["a\\u0000"]');
    await refused(() => put(cfg, checkpoint({ versions_seen: 3 })), 'checkpoint.versions_seen');
    await refused(() => put(cfg, checkpoint(), null), 'metadata');
    await refused(() => put(cfg, checkpoint(), 'm'), 'metadata');
    await refused(() => put(cfg, checkpoint(), [META]), 'metadata');
    await refused(() => put(cfg, checkpoint(), META, null), 'newVersions');
    await refused(() => put(cfg, checkpoint(), META, { a: 1e21 }), 'newVersions.a');
    await refused(() => put(cfg, checkpoint(), META, { a: 10n }), 'newVersions.a');
    await refused(() => put(cfg, checkpoint(), META, { a: 'v\u0000' }), 'newVersions.a');
    await refused(() => put(cfg, checkpoint(), META, { ['x'.repeat(256)]: 1 }), `newVersions.${'x'.repeat(256)}`);
    assert.deepEqual(await drain(saver.list({})), [], 'nothing was stored');
    assert.equal((await t.runtime.listWal({ tenantId: 'acme', recordType: 'governance_decision' })).length, 0, 'nothing was decided');
  });
});

test('putWrites names writes[i], writes[i][0], taskId or taskPath, and stores none of the call', async () => {
  await withSaver(async (saver) => {
    const config = await saver.put({ configurable: { thread_id: 'th-w' } }, checkpoint(), META, {});
    const put = (cfg: unknown, writes: unknown, taskId: unknown = 'task-1', taskPath?: unknown) =>
      saver.putWrites(cfg as never, writes as never, taskId as never, taskPath as never);
    await refused(() => put(undefined, [['a', 1]]), 'config');
    await refused(() => put({ configurable: { thread_id: 'th-w' } }, [['a', 1]]), 'config.configurable.checkpoint_id');
    await refused(() => put({ configurable: { ...config.configurable, checkpoint_id: 'c\u0000' } }, [['a', 1]]), 'config.configurable.checkpoint_id');
    await refused(() => put(config, 'x'), 'writes');
    await refused(() => put(config, null), 'writes');
    await refused(() => put(config, [['a', 1], 'x']), 'writes[1]');
    await refused(() => put(config, [['a', 1], ['b']]), 'writes[1]');
    await refused(() => put(config, [['a', 1], ['b', 2], [5, 3]]), 'writes[2][0]');
    await refused(() => put(config, [['a\u0000', 1]]), 'writes[0][0]');
    await refused(() => put(config, [['a', 1]], null), 'taskId');
    await refused(() => put(config, [['a', 1]], ''), 'taskId');
    await refused(() => put(config, [['a', 1]], 't\u0000'), 'taskId');
    await refused(() => put(config, [['a', 1]], 'task-1', 5), 'taskPath');
    await refused(() => put(config, [['a', 1]], 'task-1', 'p\u0000'), 'taskPath');
    assert.deepEqual((await saver.getTuple(config))?.pendingWrites, [], 'nothing was stored');
    // What LangGraph passes works: with and without a task path, special channels included.
    await put(config, [['a', 1]], 'task-1', '~__pregel_pull, node');
    await put(config, [['__error__', 'boom']], 'task-2');
    assert.deepEqual((await saver.getTuple(config))?.pendingWrites, [['task-2', '__error__', 'boom'], ['task-1', 'a', 1]]);
  });
});

test('getTuple, list and getDeltaChannelHistory name the config or option that is wrong', async () => {
  await withSaver(async (saver) => {
    await refused(() => saver.getTuple(undefined as never), 'config');
    await refused(() => saver.getTuple({ configurable: 5 } as never), 'config.configurable');
    await refused(() => saver.getTuple({ configurable: { thread_id: 'th-1', checkpoint_id: 'x\u0000' } }), 'config.configurable.checkpoint_id');
    await refused(() => saver.getTuple({ configurable: { thread_id: 'th-1', checkpoint_ns: 'x\u0000' } }), 'config.configurable.checkpoint_ns');
    await refused(() => saver.getTuple({ configurable: { thread_id: 'th-1', thread_ts: 'x\u0000' } }), 'config.configurable.thread_ts');
    const list = (config: unknown, options?: unknown) => drain(saver.list(config as never, options as never));
    await refused(() => list(undefined), 'config');
    await refused(() => list({ configurable: { thread_id: 'a b' } }), 'config.configurable.thread_id');
    await refused(() => list({ configurable: { checkpoint_ns: 'x\u0000' } }), 'config.configurable.checkpoint_ns');
    await refused(() => list({}, 'x'), 'options');
    await refused(() => list({}, { limit: 'abc' }), 'options.limit');
    await refused(() => list({}, { limit: -1 }), 'options.limit');
    await refused(() => list({}, { limit: 1.5 }), 'options.limit');
    await refused(() => list({}, { before: 'x' }), 'options.before');
    await refused(() => list({}, { before: { configurable: { checkpoint_id: 'x\u0000' } } }), 'options.before.configurable.checkpoint_id');
    await refused(() => list({}, { filter: 'source=loop' }), 'options.filter');
    const history = (options: unknown) => saver.getDeltaChannelHistory(options as never);
    await refused(() => history(null), 'options');
    await refused(() => history({ channels: ['a'] }), 'options.config');
    await refused(() => history({ config: { configurable: { thread_id: 'th-1' } }, channels: 'a' }), 'options.channels');
    await refused(() => history({ config: { configurable: { thread_id: 'th-1' } }, channels: ['a', 7] }), 'options.channels[1]');
    await refused(() => history({ config: { configurable: { thread_id: 'th-1', checkpoint_ns: 'x\u0000' } }, channels: ['a'] }), 'config.configurable.checkpoint_ns');
    // What callers pass in practice still works: nothing, nulls for "not given", a limit of 0.
    const stored = await saver.put({ configurable: { thread_id: 'th-1' } }, checkpoint(), META, {});
    assert.equal((await list({})).length, 1);
    assert.equal((await list({ configurable: {} }, { limit: undefined, before: undefined, filter: undefined })).length, 1);
    assert.equal((await list({ configurable: { thread_id: 'th-1', checkpoint_ns: null } }, { limit: null, before: null, filter: null })).length, 1);
    assert.equal((await list({}, { limit: 0 })).length, 0);
    assert.equal((await list({}, { filter: { source: 'loop' } })).length, 1);
    assert.equal((await saver.getTuple({ configurable: { thread_id: 'th-1', checkpoint_id: '' } }))?.config.configurable?.checkpoint_id, stored.configurable?.checkpoint_id);
    assert.equal(await saver.getTuple({ configurable: { checkpoint_ns: '' } }), undefined);
    assert.deepEqual(await history({ config: stored, channels: ['a'] }), { a: { writes: [] } });
  });
});

test('after runtime.close() every method fails with SYM_ERR_RUNTIME_CLOSED', async () => {
  const t = await testRuntime({ solutionConfig: parseSolutionConfig({ materialization_policy: { checkpoint: 'persist' } }) });
  const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
  const config = await saver.put({ configurable: { thread_id: 'th-1' } }, checkpoint(), META, {});
  await t.close();
  const calls: [string, () => Promise<unknown>][] = [
    ['getTuple', () => saver.getTuple(config)],
    ['get', () => saver.get(config)],
    ['list', () => drain(saver.list({}))],
    ['put', () => saver.put({ configurable: { thread_id: 'th-1' } }, checkpoint(), META, {})],
    ['putWrites', () => saver.putWrites(config, [['a', 1]], 'task-1')],
    ['deleteThread', () => saver.deleteThread('th-1')],
    ['constructor', async () => new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' })],
  ];
  for (const [name, call] of calls) {
    await assert.rejects(call, (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SYM_ERR_RUNTIME_CLOSED', `${name}: ${err.message}`);
      return true;
    });
  }
});

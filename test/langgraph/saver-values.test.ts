import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySaver, emptyCheckpoint, uuid6, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import { META, withSaver } from '../support/saver-runtime.ts';

// What `put` and `putWrites` accept, `getTuple` reads back as LangGraph's MemorySaver does: a
// function or a Symbol (which JSON cannot hold) reads back as nothing, never as a thread that no
// longer opens. What the serializer would silently replace (a bigint, a cycle) is refused at the
// call, naming the channel and the path within it; nothing of the refused call is stored.

function checkpointOf(values: Record<string, unknown>): { checkpoint: Checkpoint; versions: Record<string, number> } {
  const versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return { checkpoint: { ...emptyCheckpoint(), id: uuid6(-3), channel_values: values, channel_versions: versions }, versions };
}

/** Puts the same checkpoint in `saver`, then reads its channel values back. */
async function roundTrip(saver: BaseCheckpointSaver, threadId: string, values: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const { checkpoint, versions } = checkpointOf(values);
  const config = await saver.put({ configurable: { thread_id: threadId } }, checkpoint, META, versions);
  return (await saver.getTuple(config))?.checkpoint.channel_values;
}

/** Asserts `call` is refused with SYM_ERR_INVALID_REQUEST naming `path` (first issue) and mentioning `words`. */
async function refused(call: Promise<unknown>, path: string, words: RegExp): Promise<void> {
  await assert.rejects(call, (err: Error & { code?: string; issues?: { path: string }[] }) => {
    assert.equal(err.code, 'SYM_ERR_INVALID_REQUEST', `${err.name}: ${err.message}`);
    assert.equal(err.issues?.[0]?.path, path, err.message);
    assert.ok(err.message.includes(path), `the message names ${path}: ${err.message}`);
    assert.match(err.message, words);
    return true;
  });
}

test('a function or Symbol channel value reads back as MemorySaver reads it (absent), and the thread stays usable', async () => {
  await withSaver(async (saver) => {
    const cases: Record<string, unknown>[] = [
      { fn: () => 1 },
      { sym: Symbol('s') },
      { kept: 'yes', fn: function named() {}, nested: { f: () => 2, x: 1, list: [() => 3, 4] } },
    ];
    for (const [i, values] of cases.entries()) {
      const expected = await roundTrip(new MemorySaver(), `th-${i}`, values);
      assert.deepEqual(await roundTrip(saver, `th-${i}`, values), expected, `case ${i}`);
      // The thread keeps working: the next checkpoint is stored and read.
      assert.deepEqual(await roundTrip(saver, `th-${i}`, { after: 'ok' }), { after: 'ok' });
    }
  });
});

test('a pending write of a function or Symbol reads back as undefined, next to the other writes', async () => {
  await withSaver(async (saver) => {
    const { checkpoint } = checkpointOf({});
    const config = await saver.put({ configurable: { thread_id: 'th-w' } }, checkpoint, META, {});
    await saver.putWrites(config, [['a', () => 1], ['b', Symbol('s')], ['c', 'plain']], 'task-1');
    const tuple = await saver.getTuple(config);
    assert.deepEqual(tuple?.pendingWrites, [['task-1', 'a', undefined], ['task-1', 'b', undefined], ['task-1', 'c', 'plain']]);
  });
});

test('a bigint anywhere in a checkpoint is refused, naming where it is; nothing is stored', async () => {
  await withSaver(async (saver, t) => {
    const put = (values: Record<string, unknown>, extra: Partial<Checkpoint> = {}, metadata: CheckpointMetadata = META) => {
      const { checkpoint, versions } = checkpointOf(values);
      return saver.put({ configurable: { thread_id: 'th-big' } }, { ...checkpoint, ...extra }, metadata, versions);
    };
    await refused(put({ count: 10n }), 'checkpoint.channel_values.count', /bigint/);
    await refused(put({ a: { b: [1, 2n] } }), 'checkpoint.channel_values.a.b[1]', /bigint/);
    await refused(put({ m: new Map([['k', 3n]]) }), 'checkpoint.channel_values.m', /bigint/);
    await refused(put({ 'odd key': { n: 1n } }), 'checkpoint.channel_values["odd key"].n', /bigint/);
    await refused(put({}, { versions_seen: { node: { ch: 1n } } } as never), 'checkpoint.versions_seen.node.ch', /bigint/);
    await refused(put({ ok: 1 }, {}, { ...META, n: 5n } as never), 'metadata.n', /bigint/);
    assert.equal(await saver.getTuple({ configurable: { thread_id: 'th-big' } }), undefined, 'nothing stored');
    const decisions = (await t.runtime.listWal({ tenantId: 'acme', recordType: 'governance_decision' })).length;
    assert.equal(decisions, 0, 'no decision recorded for a refused checkpoint');
  });
});

test('a bigint in a pending write is refused naming writes[i][1]; none of that call is stored', async () => {
  await withSaver(async (saver) => {
    const { checkpoint } = checkpointOf({});
    const config = await saver.put({ configurable: { thread_id: 'th-wb' } }, checkpoint, META, {});
    await refused(saver.putWrites(config, [['a', 1], ['b', { total: 2n }]], 'task-1'), 'writes[1][1].total', /bigint/);
    assert.deepEqual((await saver.getTuple(config))?.pendingWrites, []);
  });
});

test('a cycle is refused naming the path that closes it, never stored as "[Circular]"', async () => {
  await withSaver(async (saver) => {
    const node: Record<string, unknown> = { name: 'root' };
    node.children = [{ name: 'leaf', parent: node }];
    const { checkpoint, versions } = checkpointOf({ tree: node });
    await refused(saver.put({ configurable: { thread_id: 'th-c' } }, checkpoint, META, versions), 'checkpoint.channel_values.tree.children[0].parent', /cycle/);
    const self: Record<string, unknown> = {};
    self.self = self;
    const base = await saver.put({ configurable: { thread_id: 'th-c' } }, checkpointOf({}).checkpoint, META, {});
    await refused(saver.putWrites(base, [['x', self]], 'task-1'), 'writes[0][1].self', /cycle/);
    const looped = new Map<string, unknown>();
    looped.set('me', looped);
    const { checkpoint: viaMap, versions: v2 } = checkpointOf({ looped });
    await refused(saver.put({ configurable: { thread_id: 'th-c' } }, viaMap, META, v2), 'checkpoint.channel_values.looped', /serializ/);
  });
});

test('values that only look like the serializer\'s placeholders, and shared references, are stored exactly', async () => {
  await withSaver(async (saver) => {
    const shared = { n: 1 };
    const values = {
      a: '[Circular]',
      b: '[unable to serialize, circular reference is too complex to analyze]',
      c: { note: '[Circular]', left: shared, right: shared },
      d: new Map([['k', 1]]),
      e: new Uint8Array([1, 2, 3]),
    };
    assert.deepEqual(await roundTrip(saver, 'th-p', values), await roundTrip(new MemorySaver(), 'th-p', values));
    const back = await roundTrip(saver, 'th-p2', values);
    assert.equal(back?.a, '[Circular]');
    assert.equal(back?.b, values.b);
    assert.deepEqual(back?.c, { note: '[Circular]', left: { n: 1 }, right: { n: 1 } });
  });
});

test('channels named like Object.prototype members are stored and read as own channels', async () => {
  await withSaver(async (saver) => {
    const values = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c", "toString": "t"}') as Record<string, unknown>;
    const { checkpoint, versions } = checkpointOf(values);
    const config = await saver.put({ configurable: { thread_id: 'th-proto' } }, checkpoint, META, versions);
    await saver.putWrites(config, [['constructor', 1], ['hasOwnProperty', 2]], 'task-1');
    const tuple = await saver.getTuple(config);
    const back = tuple!.checkpoint.channel_values;
    assert.deepEqual(Object.keys(back).sort(), ['__proto__', 'constructor', 'toString']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
    assert.deepEqual(tuple!.pendingWrites, [['task-1', 'constructor', 1], ['task-1', 'hasOwnProperty', 2]]);
  });
});

test('a channel value stored empty by an earlier version reads back as absent, not as a broken thread', async () => {
  await withSaver(async (saver, t) => {
    const empty = { type: 'json', bytes: new Uint8Array() };
    const json = (v: unknown) => ({ type: 'json', bytes: new TextEncoder().encode(JSON.stringify(v)) });
    const checkpointId = uuid6(-3);
    await t.runtime.checkpoints('acme').put({
      threadId: 'th-old', checkpointNs: '', checkpointId, parentCheckpointId: null,
      channelVersions: { fn: 1, kept: 1 },
      checkpoint: json({ v: 4, id: checkpointId, ts: new Date().toISOString(), channel_versions: { fn: 1, kept: 1 }, versions_seen: {} }),
      metadata: json(META),
      blobs: [{ channel: 'fn', version: '1', value: empty }, { channel: 'kept', version: '1', value: json('yes') }],
      subjectValues: [], sizeBytes: 0,
    });
    await t.runtime.checkpoints('acme').putWrites({ threadId: 'th-old', checkpointNs: '', checkpointId }, [
      { taskId: 'task-1', idx: 0, channel: 'fn', taskPath: '', value: empty },
    ], false);
    const tuple = await saver.getTuple({ configurable: { thread_id: 'th-old' } });
    assert.deepEqual(tuple?.checkpoint.channel_values, { kept: 'yes' });
    assert.deepEqual(tuple?.pendingWrites, [['task-1', 'fn', undefined]]);
  });
});

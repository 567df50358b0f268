import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineRealm, type ExecutionContext } from '../../src/index.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { eventually } from '../support/database-time.ts';

/** `talk.say` emits `params.first`, waits for the test to open the gate, emits `params.then`, and completes. */
function talkRealm() {
  let open: () => void = () => {};
  let gate = new Promise<void>((r) => (open = r));
  const realm = defineRealm({
    name: 'talk',
    intents: {
      say: {
        handler: async (params: unknown, ctx: ExecutionContext) => {
          const p = params as { first: unknown[]; then: unknown[] };
          for (const c of p.first) await ctx.emit(c as string);
          await gate;
          for (const c of p.then) await ctx.emit(c as string);
          return { artifacts: { reply: { resultType: 'sop', renderings: { markdown: 'said' } } } };
        },
      },
    },
  });
  return { realm, release: () => open(), reset: () => (gate = new Promise<void>((r) => (open = r))) };
}

type Frame = { id?: string; event?: string; data?: unknown };

/** Reads SSE frames from `res` until `until` says stop (or the stream ends); the connection is then dropped. */
async function readFrames(res: Response, until: (frames: Frame[]) => boolean = () => false): Promise<Frame[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return frames;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const f: Frame = {};
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) f.id = line.slice(4);
          else if (line.startsWith('event: ')) f.event = line.slice(7);
          else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6));
        }
        if (f.event) frames.push(f);
        if (until(frames)) return frames;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

describe('GET /v1/executions/:id/stream', () => {
  let s: TestServer;
  let acme: string;
  let zeta: string;
  const talk = talkRealm();
  before(async () => {
    s = await startTestServer({ runtime: { realms: [talk.realm] }, http: {} });
    acme = await s.tenant('acme');
    zeta = await s.tenant('zeta');
  });
  after(() => s.close());

  test('chunks while it runs, resume with Last-Event-ID, end with the status; by default nothing is kept', async () => {
    talk.reset();
    const done = s.runtime.execute({ intentType: 'talk.say', tenantId: 'acme', sessionId: 's', parameters: { first: ['Hel', { tokens: 2 }], then: ['lo.'] } });
    const executionId = await eventually('the execution is recorded', async () =>
      (await s.runtime.listExecutions({ tenantId: "acme" })).find((e) => e.intentType === 'talk.say' && e.status === 'running')?.executionId);
    const first = await readFrames(await s.call(`/v1/executions/${executionId}/stream`, { key: acme }), (f) => f.length === 2);
    assert.deepEqual(first.map((f) => [f.event, f.data]), [['chunk', 'Hel'], ['chunk', { tokens: 2 }]]);

    // Another tenant's key: as if it did not exist.
    assert.equal((await s.call(`/v1/executions/${executionId}/stream`, { key: zeta })).status, 404);

    // Resume after the first chunk: the second again, then the rest once the handler goes on, then the end.
    const resumed = await s.call(`/v1/executions/${executionId}/stream`, { key: acme, headers: { 'last-event-id': first[0]!.id! } });
    const rest = await readFrames(resumed, (f) => {
      if (f.length === 1) talk.release();
      return false;
    });
    assert.deepEqual(rest.map((f) => [f.event, f.data]), [['chunk', { tokens: 2 }], ['chunk', 'lo.'], ['end', { status: 'completed' }]]);
    assert.ok(Number(rest[1]!.id) > Number(rest[0]!.id));
    assert.equal((await done).status, 'completed');

    // Ended: the default policy keeps no stream content (deleted after a short grace for readers).
    await eventually('the chunks are deleted', async () => ((await s.runtime.modelWork.streamChunks('acme', executionId)).length === 0 ? true : undefined));
    const after = await readFrames(await s.call(`/v1/executions/${executionId}/stream`, { key: acme }));
    assert.deepEqual(after.map((f) => f.event), ['end']);
  });

  test('an unknown execution is a 404; a malformed Last-Event-ID a 400', async () => {
    assert.equal((await s.call('/v1/executions/nope/stream', { key: acme })).status, 404);
    const [e] = await s.runtime.listExecutions({ tenantId: "acme" });
    const bad = await s.call(`/v1/executions/${e!.executionId}/stream`, { key: acme, headers: { 'last-event-id': 'x' } });
    assert.equal(bad.status, 400);
  });

  test('ctx.emit refuses what is not a string or a plain JSON object', async () => {
    for (const [chunk, message] of [[42, /emit: a chunk must be a string or a plain JSON object, got a number/], [['a'], /got a list/], [{ at: new Date() }, /chunk\.at is a Date/]] as const) {
      const r = await s.runtime.execute({ intentType: 'talk.say', tenantId: 'acme', sessionId: 's', parameters: { first: [chunk], then: [] } }).catch((err: unknown) => err);
      assert.equal((r as { status: string }).status, 'failed');
      assert.equal((r as { error: { code: string } }).error.code, 'SYM_ERR_INVALID_USAGE');
      assert.match((r as { error: { message: string } }).error.message, message);
    }
  });
});

describe('a policy that persists result type stream keeps the chunks', () => {
  let s: TestServer;
  const talk = talkRealm();
  before(async () => {
    s = await startTestServer({
      runtime: { realms: [talk.realm], governance: [{ id: 'keep-streams', match: { resultType: ['stream'] }, decision: 'persist', retentionSeconds: 86400 }] },
    });
  });
  after(() => s.close());

  test('kept after the end, and still served', async () => {
    talk.release();
    const r = await s.runtime.execute({ intentType: 'talk.say', tenantId: 'acme', sessionId: 's', parameters: { first: ['a'], then: ['b'] } });
    assert.equal(r.status, 'completed');
    assert.deepEqual((await s.runtime.modelWork.streamChunks('acme', r.executionId)).map((c) => c.chunk), ['a', 'b']);
    const key = await s.tenant('acme');
    const frames = await readFrames(await s.call(`/v1/executions/${r.executionId}/stream`, { key }));
    assert.deepEqual(frames.map((f) => f.data), ['a', 'b', { status: 'completed' }]);
  });
});

test('erasure removes the stream chunks a policy kept', async () => {
  const talk = talkRealm();
  talk.release();
  const s = await startTestServer({
    runtime: { realms: [talk.realm], governance: [{ id: 'keep-streams', match: { resultType: ['stream'] }, decision: 'persist', retentionSeconds: 86400 }] },
  });
  try {
    const r = await s.runtime.execute({ intentType: 'talk.say', tenantId: 'acme', sessionId: 'gone', parameters: { first: ['secret'], then: [] } });
    assert.equal((await s.runtime.modelWork.streamChunks('acme', r.executionId)).length, 1);
    await s.runtime.erase({ tenantId: 'acme', sessionId: 'gone' });
    assert.deepEqual(await s.runtime.modelWork.streamChunks('acme', r.executionId), []);
  } finally {
    await s.close();
  }
});

/**
 * GET /v1/events: the tenant's committed events as Server-Sent Events,
 * resumable with Last-Event-ID, read with a small text/event-stream parser
 * over fetch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { uid } from '../runtime/helpers.ts';
import { expectProblem, ok, postSop } from './api-helpers.ts';

interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: any;
}

/** A text/event-stream reader: `next()` is the next event with data (comments and `retry:` are skipped), null at the end. */
class SseClient {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #abort: AbortController;
  #buffer = '';
  retry: number | undefined;

  private constructor(readonly response: Response, abort: AbortController) {
    this.#reader = response.body!.getReader();
    this.#abort = abort;
  }

  static async open(server: TestServer, key: string, lastEventId?: string): Promise<SseClient> {
    const abort = new AbortController();
    const res = await server.call('/v1/events', {
      key,
      signal: abort.signal,
      headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    });
    assert.equal(res.status, 200, res.status === 200 ? '' : await res.text());
    return new SseClient(res, abort);
  }

  /** The next event, or null when the server ended the stream; fails after `ms`. */
  async next(ms = 30_000): Promise<SseEvent | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const e = this.#parse(block);
        if (e) return e;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${ms} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left))),
      ]).finally(() => clearTimeout(timer));
      if (chunk === 'timeout') throw new Error(`no event within ${ms} ms`);
      if (chunk.done) return null;
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Exactly `n` events (fails if the stream ends or stalls first). */
  async take(n: number): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    while (out.length < n) {
      const e = await this.next();
      assert.ok(e, `the stream ended after ${out.length} of ${n} events`);
      out.push(e);
    }
    return out;
  }

  /** Events until (and including) the first for which `stop` holds. */
  async until(stop: (e: SseEvent) => boolean): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for (;;) {
      const e = await this.next();
      assert.ok(e, `the stream ended after ${out.length} events`);
      out.push(e);
      if (stop(e)) return out;
    }
  }

  close(): void {
    this.#abort.abort();
    this.#reader.cancel().catch(() => {});
  }

  #parse(block: string): SseEvent | null {
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry') this.retry = Number(value);
    }
    if (data.length === 0) return null;
    return { id, event, data: JSON.parse(data.join('\n')) };
  }
}

const completedOf = (executionId: string) => (e: SseEvent) => e.event === 'execution.completed' && e.data.executionId === executionId;

describe('HTTP API: GET /v1/events', { timeout: 180_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ http: { events: { pollMs: 200 } } });
  });
  after(() => server?.close());

  test("a stream has the events of executions run after connecting, of the caller's tenant only; id is the event id", async () => {
    const tenantA = uid('ev-a');
    const tenantB = uid('ev-b');
    const keyA = await server.tenant(tenantA);
    const keyB = await server.tenant(tenantB);
    const a = await SseClient.open(server, keyA);
    const b = await SseClient.open(server, keyB);
    try {
      assert.match(a.response.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(a.response.headers.get('cache-control'), 'no-store');

      const a1 = await ok(await postSop(server, keyA));
      const b1 = await ok(await postSop(server, keyB));
      const a2 = await ok(await postSop(server, keyA, { sessionId: 's2' }));

      const gotA = await a.until(completedOf(a2.executionId));
      const gotB = await b.until(completedOf(b1.executionId));
      for (const [got, tenantId] of [[gotA, tenantA], [gotB, tenantB]] as const) {
        for (const e of got) {
          assert.equal(e.data.tenantId, tenantId, 'only the caller\'s tenant');
          assert.equal(e.id, e.data.eventId, 'id: is the event id');
          assert.equal(e.event, e.data.eventType);
          assert.ok(['realm', 'runtime'].includes(e.data.source));
        }
      }
      // Exactly the tenant's events, each once, as recorded.
      const recordedA = await server.runtime.listEvents({ tenantId: tenantA, limit: 1000 });
      assert.deepEqual(gotA.map((e) => e.id).sort(), recordedA.map((e) => e.eventId).sort());
      assert.equal(new Set(gotA.map((e) => e.id)).size, gotA.length);
      assert.deepEqual(
        gotA.filter((e) => e.data.executionId === a1.executionId).map((e) => e.event),
        ['execution.started', 'workflow.generated', 'execution.completed'],
      );
      assert.deepEqual(
        gotA.map((e) => e.data.executionId),
        [a1.executionId, a1.executionId, a1.executionId, a2.executionId, a2.executionId, a2.executionId],
      );
      assert.deepEqual(gotB.map((e) => e.data.executionId), [b1.executionId, b1.executionId, b1.executionId]);
      // The events carry what the execution returned.
      assert.deepEqual(gotA.slice(0, 3).map((e) => e.id), a1.events.map((e: any) => e.eventId));
      assert.equal(a.retry, 2000);
    } finally {
      a.close();
      b.close();
    }
  });

  test('queued executions run by a worker are streamed too (execution.queued first)', async () => {
    const key = await server.tenant(uid('ev-q'));
    const stream = await SseClient.open(server, key);
    const worker = server.runtime.startWorker({ concurrency: 1 });
    try {
      const submitted = await ok(await postSop(server, key, { query: '?mode=async' }), 202);
      const got = await stream.until(completedOf(submitted.executionId));
      assert.deepEqual(got.map((e) => e.event), ['execution.queued', 'execution.started', 'workflow.generated', 'execution.completed']);
    } finally {
      stream.close();
      await worker.stop();
    }
  });

  test('reconnecting with Last-Event-ID gives exactly the events after it: none repeated, none missing', async () => {
    const tenantId = uid('ev-resume');
    const key = await server.tenant(tenantId);
    const first = await SseClient.open(server, key);
    const r1 = await ok(await postSop(server, key));
    const before = await first.until(completedOf(r1.executionId));
    assert.equal(before.length, 3);
    first.close();

    // While away: more work, some of it while nobody listens at all.
    const away: string[] = [];
    for (let i = 0; i < 4; i++) away.push((await ok(await postSop(server, key, { sessionId: `away-${i}` }))).executionId);
    const lastId = before.at(-1)!.id!;

    const second = await SseClient.open(server, key, lastId);
    try {
      const resumed = await second.take(12);
      assert.deepEqual([...new Set(resumed.map((e) => e.data.executionId))], away, 'the executions run while away, in order');
      // A sentinel: nothing but its own events may come between the resumed ones and its completion.
      const sentinel = await ok(await postSop(server, key, { sessionId: 'sentinel' }));
      const tail = await second.until(completedOf(sentinel.executionId));
      assert.deepEqual(tail.map((e) => e.data.executionId), [sentinel.executionId, sentinel.executionId, sentinel.executionId]);

      const all = [...before, ...resumed, ...tail].map((e) => e.id!);
      assert.equal(new Set(all).size, all.length, 'none repeated');
      const recorded = await server.runtime.listEvents({ tenantId, limit: 1000 });
      assert.deepEqual(all, recorded.map((e) => e.eventId), 'none missing, in order');
    } finally {
      second.close();
    }

    // Resuming from the middle of one execution's events gives the rest of them.
    const third = await SseClient.open(server, key, before[0]!.id);
    try {
      const rest = await third.take(2);
      assert.deepEqual(rest.map((e) => e.id), before.slice(1).map((e) => e.id));
    } finally {
      third.close();
    }
  });

  test("a Last-Event-ID of another tenant's event, or of none, is a 400 naming it", async () => {
    const keyA = await server.tenant(uid('ev-own'));
    const tenantB = uid('ev-other');
    const keyB = await server.tenant(tenantB);
    const runB = await ok(await postSop(server, keyB));
    const eventOfB = runB.events[0].eventId as string;
    const stream = await SseClient.open(server, keyB, eventOfB);
    stream.close();
    for (const id of [eventOfB, 'no-such-event']) {
      const p = await expectProblem(await server.call('/v1/events', { key: keyA, headers: { 'last-event-id': id } }), 400, {
        code: 'SYM_ERR_INVALID_REQUEST', field: 'Last-Event-ID',
      });
      assert.equal(p.detail.includes(tenantB), false);
    }
    await expectProblem(await server.call('/v1/events', { key: keyA, headers: { 'last-event-id': '../../x' } }), 400, { field: 'last-event-id' });
    await expectProblem(await server.call('/v1/events', { key: ADMIN_KEY }), 403);
  });

  test('HEAD /v1/events answers with the headers and ends', async () => {
    const key = await server.tenant(uid('ev-head'));
    const res = await server.call('/v1/events', { key, method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    assert.equal((await server.call('/v1/events', { method: 'HEAD' })).status, 401);
  });

  test('closing the server ends open streams', async () => {
    const own = await startTestServer({ http: { events: { pollMs: 200 } } });
    let closed = false;
    try {
      const key = await own.tenant(uid('ev-close'));
      const streams = await Promise.all([SseClient.open(own, key), SseClient.open(own, key)]);
      const run = await ok(await postSop(own, key));
      await streams[0]!.until(completedOf(run.executionId));
      await own.close();
      closed = true;
      for (const s of streams) {
        for (;;) {
          const e = await s.next();
          if (e === null) break; // ended by the server
        }
      }
    } finally {
      if (!closed) await own.close();
    }
  });
});

/**
 * Key problems over HTTP are reported as what they are — SYM_ERR_KEY_UNAVAILABLE naming the key (and,
 * reading, the record) — never as a store outage, and never as an empty 200 event stream.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/http/server.ts';
import { createRuntime, type Runtime } from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/index.ts';
import { freshDb, MVP_CONFIG, silentLogger, type TestDb } from '../support/test-runtime.ts';
import { ADMIN_KEY } from '../support/http-server.ts';
import { expectProblem, SOP } from './api-helpers.ts';

describe('HTTP API: an unreadable data key', { timeout: 180_000 }, () => {
  let db: TestDb;
  let dir: string;
  let runtime: Runtime;
  let app: FastifyInstance;
  let url: string;
  let key: string;
  let executionId: string;
  let tenantKeyId: string;
  const open = (keyDir: string) =>
    createRuntime({ db, keyDir, realms: [...exampleRealms], solutionConfig: MVP_CONFIG, logger: silentLogger });
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const h = new Headers(init.headers);
    h.set('authorization', `Bearer ${key}`);
    if (init.json !== undefined) h.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...init, headers: h, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
  };

  before(async () => {
    db = await freshDb();
    dir = await mkdtemp(join(tmpdir(), 'symphainy-http-keys-'));
    const keyDir = join(dir, 'keys');
    const first = await open(keyDir);
    key = (await first.tenants.create('acme')).apiKey;
    executionId = (await first.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'acme', sessionId: 's1', parameters: { sop_text: SOP } })).executionId;
    await first.close();
    // The tenant's key file is damaged on disk (a runtime that had it cached would not notice until restarted).
    tenantKeyId = (await readdir(keyDir)).find((n) => n.startsWith('t.') && n.endsWith('.key'))!.replace(/\.key$/, '');
    await writeFile(join(keyDir, `${tenantKeyId}.key`), '{ not json');
    runtime = await open(keyDir);
    app = await createHttpServer(runtime, { adminKey: ADMIN_KEY, logger: silentLogger, events: { pollMs: 100 } });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    await runtime?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('POST /v1/intents: 503 SYM_ERR_KEY_UNAVAILABLE naming the key file, not SYM_ERR_STORE', async () => {
    const p = await expectProblem(await call('/v1/intents', { method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 's2', parameters: { sop_text: SOP } } }), 503, {
      code: 'SYM_ERR_KEY_UNAVAILABLE',
    });
    assert.ok(p.detail.includes(tenantKeyId), p.detail);
  });

  test('GET /v1/executions and /v1/executions/:id: the key error names the execution and the key', async () => {
    for (const path of ['/v1/executions', `/v1/executions/${executionId}`]) {
      const p = await expectProblem(await call(path), 503, { code: 'SYM_ERR_KEY_UNAVAILABLE' });
      assert.ok(p.detail.includes(`execution:${executionId}`) && p.detail.includes(tenantKeyId), p.detail);
    }
    // What shows no content still answers.
    const summaries = await runtime.listExecutionSummaries({ tenantId: 'acme' });
    assert.deepEqual(summaries.map((s) => s.executionId), [executionId]);
  });

  test('GET /v1/events: an event that cannot be opened ends the stream with an `error` event carrying the problem', async () => {
    const res = await call('/v1/events', { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(20_000) });
    assert.equal(res.status, 200);
    const text = await res.text(); // the server ends the stream after the error event
    const block = text.split('\n\n').find((b) => b.startsWith('event: error'));
    assert.ok(block, `an error event in: ${text}`);
    const problem = JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    assert.equal(problem.code, 'SYM_ERR_KEY_UNAVAILABLE');
    assert.equal(problem.status, 503);
    assert.ok(problem.detail.includes(tenantKeyId), problem.detail);
  });
});

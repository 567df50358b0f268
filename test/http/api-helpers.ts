/** Helpers shared by the HTTP API suites (not a test file). */
import assert from 'node:assert/strict';
import type { TestServer } from '../support/http-server.ts';

/** A problem document (RFC 9457) as the API sends it. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: { in: string; field: string; message: string }[];
}

/**
 * Asserts `res` is an `application/problem+json` answer with this status and
 * every member a client relies on; `field` (when given) must be named in
 * `errors[].field`. Returns the parsed document.
 */
export async function expectProblem(
  res: Response,
  status: number,
  expected: { code?: string; field?: string } = {},
): Promise<ProblemBody> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `content type of: ${text}`);
  const body = JSON.parse(text) as ProblemBody;
  assert.equal(body.status, status);
  assert.equal(typeof body.type, 'string');
  assert.ok(body.type.length > 0);
  assert.equal(typeof body.title, 'string');
  assert.ok(body.title.length > 0);
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.length > 0);
  assert.match(body.code, /^SYM_ERR_[A-Z_]+$/);
  assert.doesNotMatch(text, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace in a problem document');
  if (expected.code) assert.equal(body.code, expected.code, text);
  if (expected.field !== undefined) {
    const fields = (body.errors ?? []).map((e) => e.field);
    assert.ok(fields.includes(expected.field), `errors[].field should name '${expected.field}', got ${JSON.stringify(fields)}`);
  }
  return body;
}

/** The JSON body of a 2xx answer (fails with the body's text otherwise). */
export async function ok<T = any>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export const SOP = '# Ship an order\n1. Receive the order\n2. Pick the items\n3. Pack the box\n4. Ship it';

/** POST /v1/intents with `journey.sop_to_workflow` (sync unless `query` says otherwise). */
export function postSop(
  server: TestServer,
  key: string,
  extra: { sessionId?: string; sopText?: string; query?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return server.call(`/v1/intents${extra.query ?? ''}`, {
    key,
    method: 'POST',
    headers: extra.headers ?? {},
    json: { intentType: 'journey.sop_to_workflow', sessionId: extra.sessionId ?? 's1', parameters: { sop_text: extra.sopText ?? SOP } },
  });
}

/** Polls GET /v1/executions/:id until it is completed or failed (or `ms` pass). */
export async function pollExecution(server: TestServer, key: string, executionId: string, ms = 60_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const e = await ok(await server.call(`/v1/executions/${executionId}`, { key }));
    if (e.status === 'completed' || e.status === 'failed') return e;
    if (Date.now() > deadline) throw new Error(`execution ${executionId} still ${e.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every item of a paged list, following nextCursor with `limit` per page. */
export async function allPages(server: TestServer, key: string, path: string, limit: number): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: any[]; nextCursor: string | null } = await ok(
      await server.call(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key }),
    );
    assert.ok(page.items.length <= limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    assert.ok(pages < 1000, 'paging does not end');
  } while (cursor !== null);
  return { items, pages };
}

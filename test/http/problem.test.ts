/**
 * One error path: every problem document the HTTP layer can build — from a
 * runtime error class, from one of fastify's own 4xx errors, from a request
 * Node's parser refused, from anything unexpected — carries a code with
 * exactly one status, and that code has a row in docs/errors.md with the same
 * status. (The conformance suite, openapi.test.ts, checks the same of every
 * answer a route gives.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorCodes } from 'fastify';
import * as api from '../../src/index.ts';
import { buildOpenApi } from '../../src/http/openapi.ts';
import { clientErrorResponse, problem, problemOf } from '../../src/http/problem.ts';
import { codesWithStatus, isProblemCode, PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { documentedCodes } from '../errors/documented-codes.ts';

interface Answer {
  readonly from: string;
  readonly code: string;
  readonly status: number;
  /** The document's `errors`, when it has the member. */
  readonly errors?: unknown;
}

const errorClasses = Object.entries(api).filter(
  ([, v]) => typeof v === 'function' && v.prototype instanceof api.SymphainyError,
) as [string, new (...a: unknown[]) => api.SymphainyError][];

/** fastify's errors with a 4xx status, as its router and body parser raise them. */
const fastifyErrors = Object.entries(errorCodes)
  .map(([name, Cls]) => [name, new (Cls as unknown as new (...a: string[]) => Error & { statusCode?: number })('a', 'b')] as const)
  .filter(([, e]) => typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500);

/** Node's HTTP parser and request timer codes that clientErrorHandler answers. */
const CLIENT_ERRORS = ['HPE_HEADER_OVERFLOW', 'ERR_HTTP_REQUEST_TIMEOUT', 'HPE_INVALID_METHOD', 'HPE_INVALID_HEADER_TOKEN', undefined];

/** Every problem the HTTP layer can build, with where it came from. */
function everyAnswer(): Answer[] {
  const out: Answer[] = [];
  for (const [name, Cls] of errorClasses) {
    const p = problemOf(new Cls('x', ['y']));
    out.push({ from: name, code: p.code, status: p.status, errors: p.errors });
  }
  for (const [name, err] of fastifyErrors) {
    const p = problemOf(err);
    out.push({ from: name, code: p.code, status: p.status, errors: p.errors });
  }
  // secure-json-parse's SyntaxError, given a 400 by fastify's JSON parser.
  const badJson = problemOf(Object.assign(new SyntaxError('Unexpected token } in JSON at position 3'), { statusCode: 400 }));
  out.push({ from: 'invalid JSON', code: badJson.code, status: badJson.status, errors: badJson.errors });
  const unexpected = problemOf(new TypeError('cannot read properties of undefined'));
  out.push({ from: 'an unexpected error', code: unexpected.code, status: unexpected.status, errors: unexpected.errors });
  for (const code of CLIENT_ERRORS) {
    const raw = clientErrorResponse(code);
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)![1]);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { code: string; status: number; errors?: unknown };
    assert.equal(body.status, status, `${code}: the status line and the document agree`);
    out.push({ from: `client error ${code ?? '(none)'}`, code: body.code, status, errors: body.errors });
  }
  return out;
}

/** Code → status → where it came from, for codes answered with more than one status. */
export function codesWithSeveralStatuses(answers: readonly Answer[]): Record<string, Record<number, string[]>> {
  const byCode = new Map<string, Map<number, string[]>>();
  for (const a of answers) {
    const statuses = byCode.get(a.code) ?? new Map<number, string[]>();
    statuses.set(a.status, [...(statuses.get(a.status) ?? []), a.from]);
    byCode.set(a.code, statuses);
  }
  const out: Record<string, Record<number, string[]>> = {};
  for (const [code, statuses] of byCode) if (statuses.size > 1) out[code] = Object.fromEntries(statuses);
  return out;
}

test('the fault finders catch a code with two statuses and an undocumented code', async () => {
  const twice = [
    { from: 'a', code: 'SYM_ERR_X', status: 413 },
    { from: 'b', code: 'SYM_ERR_X', status: 431 },
    { from: 'c', code: 'SYM_ERR_Y', status: 400 },
  ];
  assert.deepEqual(codesWithSeveralStatuses(twice), { SYM_ERR_X: { 413: ['a'], 431: ['b'] } });
  const documented = await documentedCodes();
  assert.equal(documented.get('SYM_ERR_NO_SUCH_CODE'), undefined);
});

test('every problem the HTTP layer builds has a code with exactly one status', () => {
  const answers = everyAnswer();
  assert.ok(answers.length > errorClasses.length + 10);
  assert.deepEqual(codesWithSeveralStatuses(answers), {});
});

test('every code the HTTP layer answers with is in docs/errors.md with the status it is sent with', async () => {
  const documented = await documentedCodes();
  const wrong = everyAnswer()
    .filter((a) => documented.get(a.code)?.status !== a.status)
    .map((a) => `${a.from}: ${a.code} ${a.status} (docs/errors.md: ${documented.get(a.code)?.status ?? 'no row'})`);
  assert.deepEqual(wrong, []);
});

test('every client error (4xx) the HTTP layer can build carries errors[], as the README promises; every code of the table too', () => {
  const answers = everyAnswer();
  for (const code of Object.keys(PROBLEM_TYPES) as (keyof typeof PROBLEM_TYPES)[]) {
    const p = problem(code, 'x');
    answers.push({ from: `problem('${code}')`, code: p.code, status: p.status, errors: p.errors });
  }
  const lacking = answers.filter((a) => a.status < 500 && !Array.isArray(a.errors)).map((a) => `${a.from}: ${a.code} ${a.status}`);
  assert.deepEqual(lacking, []);
  assert.ok(answers.some((a) => a.status < 500 && Array.isArray(a.errors) && a.errors.length === 0), 'an answer with nothing to name has an empty list');
  // A server error names no field of the request.
  assert.equal(problemOf(new TypeError('x')).errors, undefined);
});

test('the table: every error class has its code there with its statusCode, and every code exactly one status', () => {
  for (const [name, Cls] of errorClasses) {
    const err = new Cls('x', ['y']);
    assert.ok(isProblemCode(err.code), `${name} (${err.code}) is not in PROBLEM_TYPES (src/http/problem-types.ts)`);
    assert.equal(PROBLEM_TYPES[err.code].status, err.statusCode, `${name}: the table and the class's statusCode`);
  }
  const statuses = new Map<string, number[]>();
  for (let status = 100; status < 600; status++) for (const c of codesWithStatus(status)) statuses.set(c, [...(statuses.get(c) ?? []), status]);
  for (const [code, type] of Object.entries(PROBLEM_TYPES)) {
    assert.deepEqual(statuses.get(code), [type.status], `${code}: exactly one status`);
    assert.ok(type.status >= 400 && type.status < 600 && type.title.length > 0, code);
  }
});

test('a SymphainyError whose code is not in the table is answered 500 SYM_ERR_INTERNAL, not with its own status', () => {
  class ForeignError extends api.SymphainyError {
    readonly code = 'SYM_ERR_SOMETHING_ELSE';
    readonly statusCode = 418;
  }
  const p = problemOf(new ForeignError('from another copy of the package'));
  assert.deepEqual([p.code, p.status, p.title], ['SYM_ERR_INTERNAL', 500, PROBLEM_TYPES.SYM_ERR_INTERNAL.title]);
  assert.doesNotMatch(p.detail, /another copy/);
});

test('field issues keep where the request carried them; the type URI and title come from the code', () => {
  const p = problemOf(new api.InvalidRequestError('bad', [{ in: 'header', path: 'Idempotency-Key', message: 'no' }, { path: 'x', message: 'no' }]));
  assert.deepEqual(p.errors, [{ in: 'header', field: 'Idempotency-Key', message: 'no' }, { in: 'body', field: 'x', message: 'no' }]);
  assert.equal(p.type, 'urn:symphainy:error:SYM_ERR_INVALID_REQUEST');
  assert.equal(p.title, PROBLEM_TYPES.SYM_ERR_INVALID_REQUEST.title);
  const unauthorized = problemOf(new api.UnauthorizedError('no key', [{ in: 'header', path: 'Authorization', message: 'missing' }]));
  assert.deepEqual([unauthorized.status, unauthorized.errors?.[0]?.in], [401, 'header']);
});

test('the OpenAPI document refuses a route that documents an error status no code has', () => {
  const route = {
    method: 'GET', url: '/teapot', operationId: 'teapot', summary: 'x', tag: 'x', access: 'public',
    responses: { 200: { description: 'ok' }, 418: { description: 'a teapot' } },
    handler: async () => ({}),
  } as const;
  assert.throws(() => buildOpenApi([route], { version: '0' }), /no error code has status 418/);
  const fine = buildOpenApi([{ ...route, responses: { 200: { description: 'ok' }, 404: { description: 'none' } } }], { version: '0' }) as any;
  assert.deepEqual(fine.paths['/teapot'].get.responses['404'].content['application/problem+json'].schema.properties.code.enum, codesWithStatus(404));
});

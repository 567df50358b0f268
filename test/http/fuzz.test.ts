/**
 * Hostile and malformed requests against one long-lived server with two
 * tenants that each own executions, artifacts, cache entries and events.
 * Every answer must be: no 5xx; an error as a problem document (status
 * equal to the HTTP status, a detail, no stack trace or source path) that
 * the OpenAPI document lists for the operation; no 2xx to a credential that
 * may not use the route; and nothing of the other tenant — none of its ids,
 * session ids or tenant id — unless the request itself carried it. Then the
 * server is still healthy and serves a normal request.
 *
 * Requests go through node:http rather than fetch, which would normalize
 * `..` and `%2E%2E` path segments and refuse many header values before
 * they ever reached the server.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { parseSolutionConfig } from '../../src/policy/solution-config.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { DocumentedResponses, internalsIn, mediaType } from './documented-responses.ts';

/** Fixed, so a failure reproduces; fast-check prints the seed and path of a counterexample. */
const SEED = 0x5eed_2024;
const MiB = 1024 * 1024;

// ---- the server, its two tenants and what they own -----------------------------------------------

interface TenantData {
  readonly name: 'A' | 'B';
  readonly tenantId: string;
  readonly key: string;
  readonly keyId: string;
  readonly executionIds: string[];
  readonly intentIds: string[];
  readonly sessionIds: string[];
  readonly artifactIds: string[];
  readonly cacheIds: string[];
  readonly eventIds: string[];
  /** A real nextCursor of this tenant's executions. */
  cursor: string;
  /** Strings that only this tenant's data contains. */
  markers: string[];
}

/** Ids both tenants used for their own, separate executions: never markers. */
const SHARED_INTENT_ID = 'shared-intent-id-q7';
const SHARED_SESSION_ID = 'shared-session-q7';

let server: TestServer;
let port: number;
let spec: DocumentedResponses;
let A: TenantData;
let B: TenantData;
let agent: http.Agent;
let requests = 0;
const statuses = new Map<number, number>();

const sopIntent = (sessionId: string, text: string) => ({ intentType: 'journey.sop_to_workflow', sessionId, parameters: { sop_text: text } });

async function plant(name: 'A' | 'B'): Promise<TenantData> {
  const word = name === 'A' ? 'alpha' : 'bravo';
  const tenantId = `tenant-${word}-q7`;
  const issued = await server.runtime.tenants.create(tenantId);
  const t: TenantData = {
    name, tenantId, key: issued.apiKey, keyId: issued.keyId,
    executionIds: [], intentIds: [], sessionIds: [], artifactIds: [], cacheIds: [], eventIds: [], cursor: '', markers: [],
  };
  const run = async (body: unknown, headers: Record<string, string> = {}, query = '') => {
    const res = await server.call(`/v1/intents${query}`, { key: t.key, method: 'POST', json: body, headers });
    const r = (await res.json()) as any;
    assert.ok(res.status === 200 || res.status === 202, JSON.stringify(r));
    t.executionIds.push(r.executionId);
    t.intentIds.push(r.intentId);
    for (const a of r.artifacts ?? []) {
      if (a.artifactId) t.artifactIds.push(a.artifactId);
      if (a.cacheId) t.cacheIds.push(a.cacheId);
    }
    for (const e of r.events ?? []) t.eventIds.push(e.eventId);
    return r;
  };
  t.sessionIds.push(`${word}-session-one-q7`, `${word}-session-two-q7`, `${word}-session-async-q7`);
  await run({ ...sopIntent(t.sessionIds[0]!, `# ${word}\n1. Receive\n2. Ship`), intentId: `${word}-intent-one-q7` });
  await run(sopIntent(t.sessionIds[1]!, `1. ${word} picks\n2. ${word} packs`), { 'idempotency-key': `${word}-idem-two-q7` });
  await run(sopIntent(t.sessionIds[2]!, `1. ${word} queues`), { 'idempotency-key': `${word}-intent-async-q7` }, '?mode=async');
  // The same intent and session ids as the other tenant: separate executions.
  const shared = await server.call('/v1/intents', { key: t.key, method: 'POST', json: { ...sopIntent(SHARED_SESSION_ID, `1. ${word} shares`), intentId: SHARED_INTENT_ID } });
  const sharedResult = (await shared.json()) as any;
  assert.equal(sharedResult.tenantId, tenantId);
  t.executionIds.push(sharedResult.executionId);
  const page = (await (await server.call('/v1/executions?limit=1', { key: t.key })).json()) as any;
  t.cursor = page.nextCursor;
  assert.equal(typeof t.cursor, 'string');
  t.markers = [tenantId, t.keyId, ...t.executionIds, ...t.intentIds.filter((i) => i !== SHARED_INTENT_ID), ...t.sessionIds, ...t.artifactIds, ...t.cacheIds, ...t.eventIds];
  assert.ok(t.artifactIds.length >= 2 && t.cacheIds.length >= 2 && t.eventIds.length >= 4, 'the tenant owns artifacts, cache entries and events');
  return t;
}

before(async () => {
  server = await startTestServer({
    runtime: {
      // Workflows persisted, visuals cached: every tenant has artifacts and cache entries.
      solutionConfig: parseSolutionConfig({ name: 'fuzz', materialization_policy: { workflow: 'persist', visual: 'cache' } }),
    },
  });
  port = Number(new URL(server.url).port);
  spec = new DocumentedResponses((await (await server.call('/openapi.json')).json()) as Record<string, any>);
  A = await plant('A');
  B = await plant('B');
  assert.notEqual(A.executionIds.at(-1), B.executionIds.at(-1), 'a shared intent id is two executions');
  agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  initRoutes();
});

after(async () => {
  agent?.destroy();
  await server?.close();
});

// ---- sending and checking ----------------------------------------------------------------------

/** Whose credential a request carries: a tenant's, the admin's, none, or one that is not a valid key. */
type Actor = 'A' | 'B' | 'admin' | 'none' | 'forged';

interface Req {
  readonly method: string;
  /** The raw request target, sent as is. */
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  readonly actor: Actor;
  /** A request-specific expectation: what is wrong with the answer, or null. */
  readonly expect?: (res: Res) => string | null;
}

interface Res {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** An event stream (not read: it never ends). */
  readonly stream: boolean;
}

function sendOnce(req: Req): Promise<Res & { reused: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[] | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const r = http.request({ agent, host: '127.0.0.1', port, method: req.method, path: req.path, headers, timeout: 20_000 }, (res) => {
      const h = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : [value ?? '']) h.append(name, v);
      }
      if (mediaType(h.get('content-type')) === 'text/event-stream' || (req.method === 'HEAD' && req.path.startsWith('/v1/events'))) {
        // An event stream never ends: take the status and headers, then hang up (the socket goes with it).
        res.socket.destroy();
        resolve({ status: res.statusCode!, headers: h, text: '', stream: true, reused: r.reusedSocket });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: h, text: Buffer.concat(chunks).toString('utf8'), stream: false, reused: r.reusedSocket }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`no answer in 20 s to ${req.method} ${req.path.slice(0, 200)}`)));
    r.on('error', (err) => reject(Object.assign(err, { reused: r.reusedSocket })));
    r.end(req.body);
  });
}

async function send(req: Req): Promise<Res> {
  requests++;
  try {
    return await sendOnce(req);
  } catch (err) {
    // A kept-alive socket the server closed after its previous answer (e.g. a 413 or 431): retry once on a new one.
    const e = err as NodeJS.ErrnoException & { reused?: boolean };
    if (e.reused && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) return sendOnce(req);
    throw err;
  }
}

/** The documented operation a request is routed to (HEAD as GET), from the document's paths. */
const routes: { method: string; re: RegExp; operationId: string; access: 'tenant' | 'admin' | 'public' }[] = [];
function routeOf(method: string, path: string) {
  const m = method === 'HEAD' ? 'GET' : method;
  const p = path.split(/[?#;]/)[0]!;
  return routes.find((r) => r.method === m && r.re.test(p));
}

function initRoutes(): void {
  for (const op of spec.operations.values()) {
    const re = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`);
    routes.push({ method: op.method, re, operationId: op.operationId, access: op.access });
  }
}

/** Text of a request a marker may be echoed from: the raw and decoded target, headers and body. */
function requestText(req: Req): string {
  let decoded = req.path;
  try {
    decoded = decodeURIComponent(req.path);
  } catch {
    /* keep the raw path */
  }
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : req.body.toString('utf8');
  return [req.path, decoded, Buffer.from(req.path, 'latin1').toString('utf8'), JSON.stringify(req.headers), body].join('\n');
}

/** Everything wrong with one answer. */
function violations(req: Req, res: Res): string[] {
  const out: string[] = [];
  if (res.status >= 500) out.push(`a ${res.status}`);
  const route = routeOf(req.method, req.path);
  const hasBody = req.method !== 'HEAD' && !res.stream;
  if (res.status >= 400 && hasBody) {
    const type = mediaType(res.headers.get('content-type'));
    if (type !== 'application/problem+json') out.push(`an error answered as '${type}'`);
    try {
      const p = JSON.parse(res.text) as { status?: unknown; detail?: unknown };
      if (p.status !== res.status) out.push(`problem status ${String(p.status)} is not the HTTP status`);
      if (typeof p.detail !== 'string' || p.detail.trim() === '') out.push('a problem without a detail');
    } catch {
      out.push('an error body that is not JSON');
    }
    const internals = internalsIn(res.text);
    if (internals) out.push(`internals in the answer: ${internals}`);
  }
  if (route && req.method !== 'HEAD') {
    const documented = spec.statuses(route.operationId).includes(String(res.status));
    // Answers before routing (no such path, too long a parameter, too many header bytes) are problems of any operation.
    if (documented) out.push(...spec.violations(route.operationId, res.status, res.headers, res.stream ? undefined : res.text));
    else if ([404, 414, 431].includes(res.status)) out.push(...spec.problemViolations(res.status, res.headers, res.text));
    else out.push(`${route.operationId}: status ${res.status} is not documented`);
  } else if (route && !spec.statuses(route.operationId).includes(String(res.status)) && ![404, 414, 431].includes(res.status)) {
    out.push(`HEAD ${route.operationId}: status ${res.status} is not documented`);
  } else if (!route && hasBody && res.status >= 400) {
    out.push(...spec.problemViolations(res.status, res.headers, res.text));
  }
  if (!route && res.status < 400 && !(req.path.split('?')[0] === '/openapi.json' && ['GET', 'HEAD'].includes(req.method))) {
    out.push(`a ${res.status} to a path no operation has`);
  }
  // Only the right credential gets a 2xx.
  if (route && res.status < 300) {
    const allowed = route.access === 'public' || (route.access === 'admin' ? req.actor === 'admin' : req.actor === 'A' || req.actor === 'B');
    if (!allowed) out.push(`a ${res.status} from ${route.operationId} (${route.access}) to a ${req.actor} credential`);
  }
  // Nothing of the other tenant (anything of either, without a tenant's key), unless the request carried it.
  const adminView = req.actor === 'admin' && route?.access === 'admin';
  if (!adminView) {
    const foreign = req.actor === 'A' ? B.markers : req.actor === 'B' ? A.markers : [...A.markers, ...B.markers];
    const sent = requestText(req);
    const leaked = foreign.filter((m) => res.text.includes(m) && !sent.includes(m));
    if (leaked.length > 0) out.push(`the answer to ${req.actor} contains ${leaked.join(', ')}`);
    for (const h of ['location', 'etag', 'www-authenticate']) {
      const v = res.headers.get(h) ?? '';
      const inHeader = foreign.filter((m) => v.includes(m) && !sent.includes(m));
      if (inHeader.length > 0) out.push(`header ${h} contains ${inHeader.join(', ')}`);
    }
  }
  // No answer ever carries a secret.
  for (const secret of [A.key, B.key, ADMIN_KEY]) {
    if (res.text.includes(secret) || res.text.includes(secret.slice(21))) out.push('a key secret in the answer');
  }
  const extra = req.expect?.(res);
  if (extra) out.push(extra);
  return out;
}

/** Sends a request and throws (for fast-check to report and shrink) if anything is wrong with the answer. */
async function probe(req: Req): Promise<void> {
  const res = await send(req);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const problems = violations(req, res);
  if (problems.length > 0) {
    throw new Error(`${describe(req)}\n→ ${res.status} ${res.text.slice(0, 500)}\n${problems.join('\n')}`);
  }
}

/** A request as fast-check prints a counterexample: short, and without the keys' secrets. */
function describe(req: Req): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const redact = (s: string) => s.replaceAll(A.key, '<key of A>').replaceAll(B.key, '<key of B>').replaceAll(ADMIN_KEY, '<admin key>');
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${cut(redact(String(v)), 120)}`);
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? ` body ${JSON.stringify(cut(req.body, 300))}` : ` body <${req.body.length} bytes>`;
  return `${req.method} ${cut(req.path, 200)} as ${req.actor} [${headers.join(' | ')}]${body}`;
}

async function run(numRuns: number, arb: fc.Arbitrary<Req>): Promise<void> {
  const described = arb.map((req) => Object.assign(req, { [fc.toStringMethod]: () => describe(req) }));
  try {
    await fc.assert(
      fc.asyncProperty(described, (req) => probe(req)),
      { numRuns, seed: SEED },
    );
  } catch (err) {
    // fast-check keeps the property's own error as the cause: show it with the counterexample.
    const cause = (err as Error).cause as Error | undefined;
    throw new Error(`${(err as Error).message}\n\n${cause?.message ?? ''}`);
  }
}

// ---- generators ----------------------------------------------------------------------------------

const isSendableHeader = (v: string) => {
  try {
    http.validateHeaderValue('x-check', v);
    return true;
  } catch {
    return false;
  }
};
const isSendablePath = (p: string) => !/[^\u0021-\u00ff]/.test(p);
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'));
  }
};
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

const NASTY_STRINGS = [
  '', ' ', '.', '..', '../..', '..%2F..', '%2e%2e', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'a\ud800b', '\u202e', '\ufeff', '𝕏', '😀', 'é',
  '\r\n', '\t', '<script>alert(1)</script>', "' OR 1=1 --", '"; DROP TABLE symphainy.executions; --', '$(reboot)', '${7*7}', '{{7*7}}',
  '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'NaN', '-1', '1e309', 'a'.repeat(129), 'a'.repeat(10_000), '/', '\\',
  'journey.sop_to_workflow', 'journey..x', '.journey', 'a:b@c', 'journey.sop_to_workflow\u0000', 'JOURNEY.SOP_TO_WORKFLOW',
  '0001-01-01T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '0000-01-01',
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:@-]{1,140}$/) },
);

const weirdDate: fc.Arbitrary<string> = fc.oneof(
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())),
  // Dates a cursor may hold, so the id beside them is what gets tested.
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '+010000-01-01T00:00:00.000Z',
    '2020-02-30T00:00:00Z', '2020-01-01T00:00:00+14:00', '2020', '', 'now', '1e12', '1', 'Tue', '2020-01-01T24:00:00Z',
  ),
  fc.integer().map(String),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: weirdDate },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, 1e-300, 3_600_001, 1e21) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 4 }) },
);

const nested = (depth: number, leaf: unknown, asArray: boolean): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { d: v };
  return v;
};

/** Who sends a request, as the Authorization header that says so. */
function auth(actor: Actor): Record<string, string> {
  switch (actor) {
    case 'A':
      return { authorization: `Bearer ${A.key}` };
    case 'B':
      return { authorization: `Bearer ${B.key}` };
    case 'admin':
      return { authorization: `Bearer ${ADMIN_KEY}` };
    case 'forged':
      return { authorization: `Bearer sym_0123456789abcdef_${'x'.repeat(43)}` };
    case 'none':
      return {};
  }
}

/** Mostly tenant A or B (to get past authentication), sometimes anyone else. */
const actorArb: fc.Arbitrary<Actor> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<Actor>('A', 'B') },
  { weight: 1, arbitrary: fc.constantFrom<Actor>('admin', 'none', 'forged') },
);

const other = (actor: Actor) => (actor === 'A' ? B : A);
const own = (actor: Actor) => (actor === 'A' ? A : B);

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8'];
const contentTypeArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...JSON_TYPES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream',
      'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/jsonx', 'application/problem+json',
      'text/json', 'json', ';;;', '', '*/*', 'application/json, text/plain', 'application/ld+json', 'application/vnd.api+json',
    ),
  },
  { weight: 1, arbitrary: hostileString.filter(isSendableHeader) },
);

/** A JSON body's text: usually the value itself, sometimes broken on purpose. */
const bodyText = (value: unknown): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant(JSON.stringify(value) ?? 'null') },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.integer({ min: 0, max: 40 }).map((n) => (JSON.stringify(value) ?? '').slice(0, n)),
        fc.constantFrom('', ' ', '{', '}', '{"a":}', '{,}', '[1,]', "{'a':1}", '{"a":1}{"b":2}', 'NaN', 'undefined', '{"a":1 // c\n}',
          '\ufeff{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"a":"\\ud800"}', '{"a":"\\u0000"}',
          'null', 'true', '"text"', '12', '[]', '{"intentType":"journey.sop_to_workflow","intentType":"x.y"}', '\u0000', '{"a":1e999999}'),
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        // Nested far deeper than JSON.stringify could write (or a recursive parser survive).
        fc.record({ n: fc.integer({ min: 1000, max: 200_000 }), open: fc.constantFrom('[', '{"a":') }).map(({ n, open }) =>
          `{"intentType":"journey.sop_to_workflow","sessionId":"s","parameters":{"a":${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}}}`,
        ),
      ),
    },
  );

/** A request with a JSON-ish body. */
function postArb(path: fc.Arbitrary<string>, bodies: fc.Arbitrary<unknown>, extraHeaders: fc.Arbitrary<Record<string, string>> = fc.constant({}), actors = actorArb): fc.Arbitrary<Req> {
  return fc
    .record({ path, value: bodies, actor: actors, type: fc.option(contentTypeArb, { nil: undefined, freq: 12 }), extra: extraHeaders })
    .chain(({ path, value, actor, type, extra }) =>
      bodyText(value).map(
        (text): Req => ({
          method: 'POST',
          path,
          actor,
          headers: { ...auth(actor), ...(type !== undefined ? { 'content-type': type } : {}), ...extra },
          body: text,
        }),
      ),
    );
}

/** Changes to a valid object: fields set to hostile values or removed (undefined), sometimes extra keys. */
function mutate(base: Record<string, unknown>, fields: readonly string[], special: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  const change = fc.constantFrom(...fields).chain((f) =>
    fc.tuple(fc.constant(f), fc.option(special[f] ? fc.oneof(special[f]!, hostileValue) : hostileValue, { nil: undefined, freq: 6 })),
  );
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => {
        const out: Record<string, any> = structuredClone(base);
        for (const [path, value] of changes) {
          const parts = path.split('.');
          let target = out;
          for (const p of parts.slice(0, -1)) target = target[p] !== null && typeof target[p] === 'object' ? target[p] : (target[p] = {});
          if (value === undefined) delete target[parts.at(-1)!];
          else target[parts.at(-1)!] = value;
        }
        return out;
      }),
    },
    // Not an object at all.
    { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom(null, 0, true, []), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })) },
    // Nested deeper than any limit, in a field or the whole body.
    {
      weight: 1,
      arbitrary: fc
        .record({ field: fc.constantFrom(...fields, '(body)'), depth: fc.integer({ min: 33, max: 1500 }), asArray: fc.boolean() })
        .map(({ field, depth, asArray }) => (field === '(body)' ? nested(depth, base, asArray) : { ...base, [field]: nested(depth, 'x', asArray) })),
    },
  );
}

// ---- properties ----------------------------------------------------------------------------------

test('the answer checks catch a leak, a stack trace, a non-problem error, a 2xx to a wrong key', () => {
  const json = (status: number, body: unknown, type = 'application/json') =>
    ({ status, headers: new Headers({ 'content-type': type }), text: JSON.stringify(body), stream: false }) satisfies Res;
  const asA: Req = { method: 'GET', path: '/v1/executions', headers: auth('A'), actor: 'A' };
  const leak = violations(asA, json(200, { items: [], nextCursor: null, note: B.executionIds[0] }));
  assert.ok(leak.some((v) => v.includes(B.executionIds[0]!)), leak.join('\n'));
  const anonymous = violations({ ...asA, headers: {}, actor: 'none' }, json(401, { type: 'x', title: 'x', status: 401, detail: A.sessionIds[0], code: 'SYM_ERR_X' }, 'application/problem+json'));
  assert.ok(anonymous.some((v) => v.includes(A.sessionIds[0]!)), anonymous.join('\n'));
  // The request's own text may come back (a 404 naming the id asked for).
  const echoed = { ...asA, path: `/v1/executions/${B.executionIds[0]}` };
  const echo = violations(echoed, json(404, { type: 'x', title: 'x', status: 404, detail: `no execution ${B.executionIds[0]}`, code: 'SYM_ERR_NOT_FOUND', errors: [] }, 'application/problem+json'));
  assert.deepEqual(echo, []);
  const stack = violations(asA, json(400, { type: 'x', title: 'x', status: 400, detail: 'Error: x\n    at parse (/work/main/src/http/route.ts:80:11)', code: 'SYM_ERR_X' }, 'application/problem+json'));
  assert.ok(stack.some((v) => v.includes('stack frame')), stack.join('\n'));
  const plain = violations(asA, json(400, { error: 'Bad Request', statusCode: 400 }));
  assert.ok(plain.some((v) => v.includes("answered as 'application/json'")), plain.join('\n'));
  const forged = violations({ ...asA, actor: 'forged' }, json(200, { items: [], nextCursor: null }));
  assert.ok(forged.some((v) => v.includes('forged credential')), forged.join('\n'));
  assert.ok(violations(asA, json(503, { type: 'x', title: 'x', status: 503, detail: 'x', code: 'SYM_ERR_STORE' }, 'application/problem+json')).includes('a 503'));
});

test('fuzz: at least 10,000 hostile requests; no 5xx, no leak, every error a documented problem', { timeout: 240_000 }, async (t) => {
  const started = Date.now();

  await t.test('POST /v1/intents: wrong types and shapes of every field, broken JSON, content types, keys, nesting', async () => {
    const base = { intentType: 'journey.sop_to_workflow', sessionId: 'fuzz-session', parameters: { sop_text: '1. Receive\n2. Ship' } };
    const idemKey = fc.oneof(
      fc.constantFrom('fuzz-idem-1', 'fuzz-idem-2', SHARED_INTENT_ID),
      hostileString.filter(isSendableHeader),
      fc.constantFrom('', ' ', '..', 'a'.repeat(129), 'a b', 'é', '\u00ff\u00fe'),
    );
    const extra = fc.record(
      {
        'idempotency-key': idemKey,
        'x-tenant-id': fc.constantFrom('tenant-bravo-q7', 'tenant-alpha-q7'),
        accept: fc.constantFrom('application/xml', '*/*', 'text/html', 'application/problem+json', ''),
        'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x-nope'),
      },
      { requiredKeys: [] },
    );
    const mode = fc.oneof(
      { weight: 6, arbitrary: fc.constant('') },
      { weight: 2, arbitrary: fc.constantFrom('?mode=async', '?mode=sync') },
      { weight: 2, arbitrary: fc.constantFrom('?mode=', '?mode=ASYNC', '?mode=async&mode=sync', '?mode[]=async', '?mode=later', '?other=1', '?mode=%00', '?=', '?&&', '?mode') },
    );
    const bodies = mutate(base, ['intentType', 'sessionId', 'parameters', 'intentId', 'createdAt', 'timeoutMs', 'tenantId', 'extra', 'parameters.sop_text', 'parameters.title', 'parameters.extra'], {
      createdAt: weirdDate,
      timeoutMs: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(3_600_000, 3_600_001, 1.5, 1e21, -0, Number.MAX_SAFE_INTEGER + 2)),
      intentId: fc.constantFrom(SHARED_INTENT_ID, 'fuzz-idem-1', 'a'.repeat(128), 'a'.repeat(129)),
      tenantId: fc.constantFrom('tenant-bravo-q7', 'tenant-alpha-q7'),
      'parameters.sop_text': fc.oneof(fc.constantFrom('1. a\u0000b\n2. c', '1. a\ud800\n2. b', '1. \udc00', '# only a heading', ' ', '1. ' + 'x'.repeat(100_001)), fc.string({ unit: 'binary', maxLength: 80 })),
      'parameters.title': fc.constantFrom('t\u0000', '\ud800', 'x'.repeat(201), ''),
      sessionId: fc.constantFrom(SHARED_SESSION_ID, 'a'.repeat(128), 'a'.repeat(129), '.dot', 'ok-session'),
      intentType: fc.constantFrom('journey.nope', 'nope.nope', 'journey', 'journey.sop_to_workflow.x', 'outcomes.create_roadmap', 'solution.compose', 'x'.repeat(201) + '.y'),
    });
    await run(2200, postArb(mode.map((q) => `/v1/intents${q}`), bodies, extra));
  });

  await t.test('POST /v1/policy/explain: wrong types and shapes of every field', async () => {
    const base = { resultType: 'workflow', intentType: 'journey.sop_to_workflow', realm: 'journey', sizeBytes: 10, tags: ['a'] };
    const bodies = mutate(base, ['resultType', 'intentType', 'realm', 'sizeBytes', 'tags', 'tenantId', 'extra'], {
      resultType: fc.constantFrom('visual', 'intent', 'journey', '', 'x'.repeat(65), 'constructor', '__proto__', 'toString', 'hasOwnProperty'),
      sizeBytes: fc.constantFrom(-1, 1.5, 2 ** 53, 1e308, 0),
      tags: fc.oneof(fc.array(hostileString, { maxLength: 70 }), fc.constant(Array.from({ length: 65 }, (_, i) => `t${i}`))),
      tenantId: fc.constantFrom('tenant-bravo-q7', 'tenant-alpha-q7'),
    });
    await run(1200, postArb(fc.constant('/v1/policy/explain'), bodies));
  });

  await t.test('POST /v1/admin/tenants and the key routes: hostile bodies and ids, any credential', async () => {
    const adminish = fc.oneof(
      { weight: 6, arbitrary: fc.constant<Actor>('admin') },
      { weight: 3, arbitrary: fc.constantFrom<Actor>('A', 'B', 'none', 'forged') },
    );
    const bodies = mutate({ tenantId: 'fuzz-new-tenant' }, ['tenantId', 'extra', 'keyId'], {
      tenantId: fc.oneof(fc.constantFrom('tenant-alpha-q7', 'tenant-bravo-q7', '.x', 'a'.repeat(129)), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)),
    });
    const create = postArb(fc.constant('/v1/admin/tenants'), bodies, fc.constant({}), adminish);
    const keyRoutes = fc
      .record({ actor: adminish, id: idSegment(), method: fc.constantFrom('GET', 'POST', 'DELETE'), which: fc.constantFrom('tenant', 'key') })
      .map(({ actor, id, method, which }): Req => ({
        method,
        // Never a real key id: revoking A's or B's key would end the run.
        path: which === 'tenant' ? `/v1/admin/tenants/${id}/keys` : `/v1/admin/keys/${id === A.keyId || id === B.keyId ? 'ffffffffffffffff' : id}`,
        actor,
        headers: auth(actor),
      }));
    await run(1000, fc.oneof(create, keyRoutes));
  });

  await t.test('path parameters: traversal, NUL, unicode, 10k characters, encoded slashes, the other tenant\'s ids', async () => {
    await run(2000, pathParamArb());
  });

  await t.test('query parameters: repeated keys, bad limits, forged and garbage cursors', async () => {
    await run(1600, queryArb());
  });

  await t.test('headers: Authorization variants, keys on the wrong routes, Idempotency-Key and Last-Event-ID', async () => {
    await run(1500, headerArb());
  });

  await t.test('unknown routes and methods', async () => {
    await run(700, unknownRouteArb());
  });

  await t.test('bodies over the 1 MiB limit (a few: they are slow)', async () => {
    const huge = fc
      .record({
        path: fc.constantFrom('/v1/intents', '/v1/policy/explain', '/v1/admin/tenants'),
        size: fc.integer({ min: MiB + 1, max: 3 * MiB }),
        actor: fc.constantFrom<Actor>('A', 'B', 'admin', 'none'),
        shape: fc.constantFrom('string', 'array', 'junk'),
      })
      .map(({ path, size, actor, shape }): Req => {
        const body =
          shape === 'string'
            ? JSON.stringify({ intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: 'x'.repeat(size) } })
            : shape === 'array'
              ? `[${'1,'.repeat(size / 2)}1]`
              : Buffer.alloc(size, 0x7b);
        return { method: 'POST', path, actor, headers: { ...auth(actor), 'content-type': 'application/json' }, body, expect: (r) => (r.status === 413 ? null : `expected 413, got ${r.status}`) };
      });
    await run(6, huge);
  });

  // The server survived, and still serves both tenants.
  const health = await send({ method: 'GET', path: '/healthz', headers: {}, actor: 'none' });
  assert.equal(health.status, 200);
  const exec = await send({ method: 'GET', path: `/v1/executions/${A.executionIds[0]}`, headers: auth('A'), actor: 'A' });
  assert.equal(exec.status, 200, exec.text);
  for (const actor of ['A', 'B'] as const) {
    const fresh = await send({
      method: 'POST', path: '/v1/intents', actor, headers: { ...auth(actor), 'content-type': 'application/json' },
      body: JSON.stringify(sopIntent('after-fuzz', '1. Still\n2. Works')),
    });
    assert.equal(fresh.status, 200, fresh.text);
    const result = JSON.parse(fresh.text) as { status: string; tenantId: string };
    assert.equal(result.status, 'completed');
    assert.equal(result.tenantId, own(actor).tenantId);
  }

  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`${requests} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  assert.ok(requests >= 10_000, `only ${requests} requests`);
});

// ---- generators that need the planted data ------------------------------------------------------

/** One path segment for an id parameter: hostile, or a real id of either tenant. */
function idSegment(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '..', '.', '%2E%2E', '%2e%2e', '..%2F..', '..%2f..%2f..%2fetc%2fpasswd', '..%5C..', '%00', 'a%00', '%', '%zz', '%E0%A4%A', '%C0%AE%C0%AE',
        '%ff', '%FF%FE', 'a%2Fb', '%2F', '%5C', 'a;b', 'a,b', '%20', '+', '%2B', '*', '~', '$', '!', "'", '(', '@', ':', 'a:b@c', '%3A',
        'con', 'nul', 'é', '\u00ff', '%F0%9F%98%80', '%ED%A0%80', '%EF%BB%BF', '%E2%80%AE', 'a'.repeat(10_000), 'a'.repeat(129), 'a'.repeat(300),
        'a'.repeat(301), '0000000000000000', 'ffffffffffffffff', 'FFFFFFFFFFFFFFFF', '0123456789abcdef0', '-1', '0', 'null',
        '%252e%252e', '.%2e', '%2e.', 'art_', 'cache_',
      ),
    },
    { weight: 2, arbitrary: hostileString.map(encode) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encode) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }).map(encode) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:@-]{1,128}$/) },
    { weight: 3, arbitrary: fc.constantFrom(...A.executionIds, ...B.executionIds, ...A.artifactIds, ...B.artifactIds, ...A.sessionIds, ...B.sessionIds, ...A.cacheIds, ...B.cacheIds) },
  ).filter(isSendablePath);
}

function pathParamArb(): fc.Arbitrary<Req> {
  const renderingName = fc.oneof(fc.constantFrom('workflow_json', 'markdown', 'svg', 'mermaid'), idSegment());
  return fc
    .record({
      actor: fc.oneof({ weight: 8, arbitrary: fc.constantFrom<Actor>('A', 'B') }, { weight: 2, arbitrary: fc.constantFrom<Actor>('admin', 'none', 'forged') }),
      route: fc.constantFrom('execution', 'journey', 'artifact', 'rendering', 'cache', 'tenantKeys', 'revoke'),
      id: idSegment(),
      rendering: renderingName,
      method: fc.oneof({ weight: 9, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'DELETE', 'POST') }),
      suffix: fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.constantFrom('/', '//', '/..', '/.', '?', '#x', '/%2e%2e', '/x') }),
    })
    .map(({ actor, route, id, rendering, method, suffix }): Req => {
      const safeId = route === 'revoke' && (id === A.keyId || id === B.keyId) ? 'ffffffffffffffff' : id;
      const path = {
        execution: `/v1/executions/${safeId}`,
        journey: `/v1/executions/${safeId}/journey`,
        artifact: `/v1/artifacts/${safeId}`,
        rendering: `/v1/artifacts/${safeId}/content/${rendering}`,
        cache: `/v1/cache/${safeId}`,
        tenantKeys: `/v1/admin/tenants/${safeId}/keys`,
        revoke: `/v1/admin/keys/${safeId}`,
      }[route]!;
      const m = route === 'revoke' ? 'DELETE' : route === 'tenantKeys' && method === 'DELETE' ? 'GET' : method;
      const full = path + suffix;
      // A tenant asking for the other tenant's execution or artifact finds nothing.
      const foreign = (actor === 'A' || actor === 'B') && suffix === '' && m === 'GET' && [...other(actor).executionIds, ...other(actor).artifactIds].includes(id);
      const isOwn = (actor === 'A' || actor === 'B') && suffix === '' && m === 'GET' && (route === 'execution' || route === 'journey') && own(actor).executionIds.includes(id);
      return {
        method: m,
        path: full,
        actor,
        headers: auth(actor),
        expect: (r) => {
          if (foreign && ['execution', 'journey', 'artifact'].includes(route) && r.status !== 404) return `another tenant's id: expected 404, got ${r.status}`;
          if (foreign && route === 'rendering' && r.status !== 404 && r.status !== 400) return `another tenant's artifact: expected 404, got ${r.status}`;
          if (isOwn && r.status !== 200) return `its own execution: expected 200, got ${r.status}`;
          return null;
        },
      };
    });
}

function cursorArb(): fc.Arbitrary<string> {
  const ids = fc.oneof(
    fc.constantFrom(...A.executionIds, ...B.executionIds, ...A.artifactIds, ...B.artifactIds, 'x\u0000', '\ud800', '', 'a'.repeat(129), 'a'.repeat(128)),
    hostileString,
  );
  return fc.oneof(
    fc.constantFrom(A.cursor, B.cursor, A.cursor.slice(0, -2), B.cursor + 'A', A.cursor.toUpperCase(), `${A.cursor}==`, 'x'.repeat(513), 'x'.repeat(512)),
    { weight: 3, arbitrary: fc.tuple(weirdDate, ids).map(([d, i]) => b64url(JSON.stringify([d, i]))) },
    fc.tuple(weirdDate, ids).map(([d, i]) => Buffer.from(JSON.stringify([d, i])).toString('base64')),
    fc.jsonValue({ maxDepth: 3 }).map((v) => b64url(JSON.stringify(v))),
    fc.constantFrom('[]', '{}', 'null', '["2020-01-01T00:00:00Z"]', '["2020-01-01T00:00:00Z","x","y"]', '[1,2]', '[["a"],"b"]').map(b64url),
    fc.base64String({ maxLength: 80 }),
    hostileString,
  );
}

function queryArb(): fc.Arbitrary<Req> {
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('limit', 'cursor', 'cursor', 'cursor', 'status', 'intentType', 'sessionId', 'resultType', 'executionId') },
    { weight: 1, arbitrary: fc.constantFrom('limit[]', 'cursor[0]', 'a[b]', '__proto__', 'constructor', 'tenantId', 'mode', '', 'LIMIT', 'limit ', '%00') },
    { weight: 1, arbitrary: hostileString.map(encode) },
  );
  const value = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '-1', '0', '1', '2', '500', '501', '999999999', '1000000000', '9'.repeat(30), 'NaN', 'Infinity', '-Infinity', '1e3', '0x10', '1.5',
        '%201', '1%20', '%2B1', '01', '', 'null', 'true', '[]', '{}', '%00', '%', '%zz', 'queued', 'running', 'completed', 'failed', 'COMPLETED',
        'workflow', 'visual', 'journey.sop_to_workflow', 'tenant-alpha-q7', 'tenant-bravo-q7',
      ),
    },
    { weight: 3, arbitrary: cursorArb().map(encode) },
    { weight: 1, arbitrary: hostileString.map(encode) },
    { weight: 2, arbitrary: fc.constantFrom(...A.sessionIds, ...B.sessionIds, ...A.executionIds, ...B.executionIds, SHARED_SESSION_ID) },
  );
  const mixed = fc
    .record({
      actor: actorArb,
      path: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('/v1/executions', '/v1/artifacts') }, { weight: 1, arbitrary: fc.constantFrom('/v1/cache/fuzz-session', '/healthz', '/v1/admin/tenants', '/metrics', `/v1/executions/${A.executionIds[0]}`) }),
      pairs: fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 6 }),
      sep: fc.constantFrom('&', '&', '&', ';', '&&'),
    })
    .map(({ actor, path, pairs, sep }): Req => ({
      method: 'GET',
      path: `${path}?${pairs.map(([k, v]) => `${k}=${v}`).join(sep)}`,
      actor,
      headers: auth(actor),
    }));
  // A cursor alone (with at most a valid limit), so it is the cursor that reaches the store.
  const cursorOnly = fc
    .record({ actor: actorArb, path: fc.constantFrom('/v1/executions', '/v1/artifacts'), cursor: cursorArb(), limit: fc.constantFrom('', '&limit=1', '&limit=500') })
    .map(({ actor, path, cursor, limit }): Req => ({ method: 'GET', path: `${path}?cursor=${encode(cursor)}${limit}`, actor, headers: auth(actor) }));
  return fc.oneof(mixed, cursorOnly).filter((r) => isSendablePath(r.path));
}

function headerArb(): fc.Arbitrary<Req> {
  const fakeKey = fc
    .tuple(fc.stringMatching(/^[a-f0-9]{16}$/), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/))
    .map(([id, secret]) => `sym_${id}_${secret}`);
  const authVariant: fc.Arbitrary<{ header?: string | string[]; actor: Actor }> = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<Actor>('A', 'B', 'admin').map((actor) => ({ header: auth(actor).authorization!, actor })) },
    { weight: 1, arbitrary: fc.constantFrom<Actor>('A', 'B').map((actor) => ({ header: `bearer   ${own(actor).key}  `, actor })) },
    { weight: 1, arbitrary: fc.constant<{ header?: string; actor: Actor }>({ actor: 'none' }) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '', 'Bearer', 'Bearer ', 'Bearer  ', 'bearer', 'Basic dXNlcjpwYXNz', 'Token abc', 'Digest username="a"', 'Bearer\tabc', 'NTLM TlRMTVNTUAAB',
          'Bearer null', 'Bearer undefined', `Basic ${Buffer.from(`x:${ADMIN_KEY}`).toString('base64')}`, `${ADMIN_KEY}`, `Bearer ${'x'.repeat(513)}`,
          `Bearer ${ADMIN_KEY}x`, `Bearer ${ADMIN_KEY.slice(0, -1)}`, 'Bearer sym__', 'Bearer sym_0123456789abcdef_', `Bearer sym_${'0'.repeat(16)}_${'A'.repeat(43)}`,
          'Bearer \u00e9\u00e9', 'Bearer a b',
        )
        .map((header) => ({ header, actor: 'forged' as Actor })),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }).filter(isSendableHeader).map((s) => ({ header: s, actor: 'forged' as Actor })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`).filter(isSendableHeader).map((header) => ({ header, actor: 'forged' as Actor })) },
    { weight: 2, arbitrary: fakeKey.map((k) => ({ header: `Bearer ${k}`, actor: 'forged' as Actor })) },
    {
      weight: 2,
      // A real key id with a wrong secret; a real key one character off, cut short, longer, or in other case.
      arbitrary: fc
        .tuple(fc.constantFrom('A', 'B'), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.nat(), fc.constantFrom('id', 'flip', 'cut', 'extend', 'case'))
        .map(([who, secret, n, how]) => {
          const k = (who === 'A' ? A : B).key;
          const i = 4 + (n % (k.length - 4));
          const flipped = k.slice(0, i) + (k[i] === 'a' ? 'b' : 'a') + k.slice(i + 1);
          const header = {
            id: `sym_${(who === 'A' ? A : B).keyId}_${secret}`,
            flip: flipped,
            cut: k.slice(0, i),
            extend: `${k}a`,
            case: k.toUpperCase(),
          }[how]!;
          return { header: `Bearer ${header}`, actor: 'forged' as Actor };
        }),
    },
    // Two Authorization headers: Node keeps the first.
    { weight: 1, arbitrary: fc.constant<{ header: string[]; actor: Actor }>({ header: [`Bearer ${A.key}`, `Bearer ${B.key}`], actor: 'A' }) },
  );
  const lastEventId = fc.oneof(
    fc.constantFrom(...A.eventIds, ...B.eventIds),
    hostileString.filter(isSendableHeader),
    fc.constantFrom('', ' ', '0', '-1', '..', 'a'.repeat(129), '\u00ff'),
  );
  const target = fc.constantFrom(
    { method: 'GET', path: '/v1/events' },
    { method: 'GET', path: () => `/v1/executions/${A.executionIds[0]}` },
    { method: 'GET', path: () => `/v1/executions/${B.executionIds[0]}/journey` },
    { method: 'GET', path: () => `/v1/artifacts/${A.artifactIds[0]}` },
    { method: 'GET', path: () => `/v1/artifacts/${B.artifactIds[0]}/content/markdown` },
    { method: 'GET', path: () => `/v1/cache/${A.sessionIds[0]}` },
    { method: 'GET', path: '/v1/executions?limit=2' },
    { method: 'GET', path: '/v1/artifacts?limit=2' },
    { method: 'POST', path: '/v1/intents' },
    { method: 'POST', path: '/v1/intents?mode=async' },
    { method: 'POST', path: '/v1/policy/explain' },
    { method: 'GET', path: '/v1/admin/tenants' },
    { method: 'POST', path: '/v1/admin/tenants' },
    { method: 'GET', path: () => `/v1/admin/tenants/${B.tenantId}/keys` },
    { method: 'DELETE', path: '/v1/admin/keys/ffffffffffffffff' },
    { method: 'GET', path: '/metrics' },
    { method: 'GET', path: '/healthz' },
    { method: 'GET', path: '/readyz' },
  );
  const otherHeaders = fc.record(
    {
      // Never another tenant's marker: an execution created under it would put the marker in the creator's own data.
      'idempotency-key': fc.oneof(hostileString.filter(isSendableHeader), fc.constantFrom('fuzz-idem-h', SHARED_INTENT_ID, '', '..', 'a'.repeat(129))),
      'if-none-match': fc.constantFrom('*', '"x"', 'W/"x"', '', '"' + 'a'.repeat(64) + '"', ','),
      accept: fc.constantFrom('text/event-stream', 'application/xml', '*/*', '', 'text/html;q=0'),
      'x-forwarded-for': fc.constantFrom('127.0.0.1', '::1, 10.0.0.1', 'garbage'),
      'x-tenant-id': fc.constantFrom(A.tenantId, B.tenantId),
      'content-type': contentTypeArb,
      cookie: fc.constantFrom('tenant=tenant-bravo-q7', 'a=b; c'),
    },
    { requiredKeys: [] },
  );
  // Over Node's 16 KiB of headers: answered (431) before any route, so only now and then.
  const huge = fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('a'.repeat(8_000), 'b'.repeat(20_000)) });
  return fc
    .record({ target, auth: authVariant, last: fc.option(lastEventId, { nil: undefined, freq: 2 }), extra: otherHeaders, huge })
    .map(({ target, auth: a, last, extra, huge }): Req => {
      const path = typeof target.path === 'function' ? target.path() : target.path;
      const headers: Record<string, string | string[]> = { ...extra, ...(huge !== undefined ? { 'x-huge': huge } : {}) };
      if (a.header !== undefined) headers.authorization = a.header;
      if (last !== undefined) headers['last-event-id'] = last;
      const isPost = target.method === 'POST';
      const body = isPost
        ? JSON.stringify(path.startsWith('/v1/intents') ? sopIntent('fuzz-header-session', '1. a\n2. b') : path.endsWith('explain') ? { resultType: 'workflow' } : { tenantId: 'fuzz-header-tenant' })
        : undefined;
      if (isPost && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const foreignEvent = last !== undefined && (a.actor === 'A' || a.actor === 'B') && other(a.actor).eventIds.includes(last);
      return {
        method: target.method,
        path,
        actor: a.actor,
        headers,
        ...(body !== undefined ? { body } : {}),
        expect: (r) => (foreignEvent && path === '/v1/events' && r.status === 200 ? "a stream resumed from another tenant's event" : null),
      };
    });
}

function unknownRouteArb(): fc.Arbitrary<Req> {
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'PURGE', 'SEARCH', 'LOCK', 'REPORT', 'MKCOL');
  const path = fc.oneof(
    fc.constantFrom(
      '/', '/v1', '/v1/', '/v2/intents', '/v1/intents/', '/v1//intents', '//v1/intents', '/V1/INTENTS', '/v1/intents/../executions', '/v1/./executions',
      '/%2e%2e/%2e%2e/etc/passwd', '/../../etc/passwd', '/v1/executions/x/y/z', '/openapi.json/x', '/admin', '/v1/admin', '/.env', '/favicon.ico',
      '/metrics/', '/healthz/..', '/v1/admin/tenants/x/keys/y', '/v1/admin/keys', '/v1/cache', '/v1/cache/', '/v1/artifacts/x/content',
      '/v1/artifacts/x/content/', '/v1/events/x', '/%00', '/\u00ff', '/v1/%', '/v1/intents%00', '/v1/intents;x', '/v1/intents?x#y',
      '/v1/executions/%2F..%2F..%2Fadmin', '/' + 'a'.repeat(10_000), '/v1/executions/' + 'b/'.repeat(500),
    ),
    fc.array(hostileString.map(encode), { minLength: 1, maxLength: 5 }).map((segs) => `/${segs.join('/')}`),
    fc.array(fc.constantFrom('v1', 'intents', 'executions', 'artifacts', 'admin', 'tenants', 'keys', 'cache', 'events', 'policy', 'explain', 'content', 'journey', '..', '.', ''), { minLength: 1, maxLength: 6 }).map((segs) => `/${segs.join('/')}`),
  );
  return fc
    .record({ method, path, actor: fc.constantFrom<Actor>('A', 'B', 'admin', 'none', 'forged'), withBody: fc.boolean() })
    .filter(({ path }) => isSendablePath(path))
    .map(({ method, path, actor, withBody }): Req => ({
      method,
      path,
      actor,
      headers: { ...auth(actor), ...(withBody ? { 'content-type': 'application/json' } : {}) },
      ...(withBody && method !== 'GET' && method !== 'HEAD' ? { body: '{"tenantId":"fuzz-unknown"}' } : {}),
    }));
}

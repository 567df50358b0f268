import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problem, type Problem } from './problem.ts';

/**
 * A request body refused before any handler ran, with the problem document
 * that says why. `statusCode` lets fastify treat it as a client error.
 */
export class BodyRefused extends Error {
  readonly statusCode: number;
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'BodyRefused';
    this.statusCode = problem.status;
  }
}

/** Charsets a JSON body may declare: RFC 8259 §8.1 requires UTF-8 (ASCII is a subset). */
const JSON_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** Keys that would reach an object's prototype if a consumer merged the body into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__']);

/**
 * The JSON body parser of the API, replacing fastify's so that each way a
 * body can be wrong gets its own answer: a compressed body (Content-Encoding
 * other than identity) and a charset other than UTF-8 are 415s naming the
 * header; bytes that are not UTF-8, a `__proto__` key, or
 * `constructor.prototype`, are 400s (the latter naming its path); syntax
 * errors say where the text broke.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseJsonBody(request: FastifyRequest, bytes: Buffer): unknown {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    throw new BodyRefused(
      problem('SYM_ERR_UNSUPPORTED_MEDIA_TYPE', `the request body is sent with Content-Encoding '${encoding}'; send it uncompressed (identity)`, [
        { in: 'header', field: 'Content-Encoding', message: 'must be identity' },
      ]),
    );
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(String(request.headers['content-type'] ?? ''))?.[1]?.toLowerCase();
  if (charset !== undefined && !JSON_CHARSETS.has(charset)) {
    throw new BodyRefused(
      problem('SYM_ERR_UNSUPPORTED_MEDIA_TYPE', `the request body declares charset '${charset}'; JSON bodies must be UTF-8 (RFC 8259 §8.1)`, [
        { in: 'header', field: 'Content-Type', message: 'charset must be utf-8' },
      ]),
    );
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    // Replacing bad bytes with U+FFFD would store something the client never sent.
    throw new BodyRefused(problem('SYM_ERR_INVALID_REQUEST', 'the request body is not valid UTF-8', [{ in: 'body', field: '', message: 'is not valid UTF-8' }]));
  }
  if (text.trim() === '') {
    throw new BodyRefused(problem('SYM_ERR_INVALID_REQUEST', 'the request body is empty; send a JSON object', [{ in: 'body', field: '', message: 'is empty' }]));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BodyRefused(
      problem('SYM_ERR_INVALID_REQUEST', `the request body is not valid JSON: ${(err as Error).message}`, [
        { in: 'body', field: '', message: 'is not valid JSON' },
      ]),
    );
  }
  const path = pollutingPath(value, '');
  if (path !== null) {
    throw new BodyRefused(
      problem('SYM_ERR_INVALID_REQUEST', `the request body has a key '${path}' that could reach an object prototype; such keys are refused`, [
        { in: 'body', field: path, message: 'is a refused key' },
      ]),
    );
  }
  return value;
}

/** The dotted path of the first `__proto__` key or `constructor.prototype` pair, or null. Iterative: bodies may nest deeply. */
function pollutingPath(root: unknown, rootPath: string): string | null {
  const stack: [unknown, string][] = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`]);
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const childPath = path === '' ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) return childPath;
      if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) return `${childPath}.prototype`;
      stack.push([child, childPath]);
    }
  }
  return null;
}

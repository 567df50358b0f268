import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { isSymphainyError, type ErrorIssue, type SymphainyError } from '../errors/index.ts';
import { isProblemCode, PROBLEM_TYPES, problemTypeUri, type ProblemCode } from './problem-types.ts';

/** Where an offending value was: the request body, query string, path, or a header. */
export type FieldLocation = 'body' | 'query' | 'path' | 'header';

export interface FieldIssue {
  readonly in: FieldLocation;
  /** Dotted path of the field (`parameters.sop_text`, `limit`, `Idempotency-Key`). */
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem document, with the runtime's error code and the offending fields. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: string;
  /** Each offending field, header or query parameter: on every client error (4xx), empty when none in particular is. */
  readonly errors?: readonly FieldIssue[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The challenge of every 401 (RFC 6750). */
const CHALLENGE = 'Bearer realm="symphainy"';

/**
 * The problem document of a code: its status and title from the one table
 * ({@link PROBLEM_TYPES}), so no caller can send a code with another status.
 * Every client error (4xx) carries `errors` (the README promises it), empty
 * when nothing in particular is wrong (a 404); a server error only when it
 * has issues to name.
 */
export function problem(code: ProblemCode, detail: string, errors?: readonly FieldIssue[]): Problem {
  const { status, title } = PROBLEM_TYPES[code];
  return {
    type: problemTypeUri(code),
    title,
    status,
    detail,
    code,
    ...(status < 500 ? { errors: errors ?? [] } : errors && errors.length > 0 ? { errors } : {}),
  };
}

/**
 * The problem document for any error a handler threw: the runtime's own
 * errors by their code (with their field issues), fastify's 4xx errors
 * reworded, anything else — an unexpected error, or a code outside the table
 * — a 500 SYM_ERR_INTERNAL whose detail says nothing of internals.
 */
export function problemOf(err: unknown): Problem {
  if (err instanceof Error && 'problem' in err && err.name === 'BodyRefused') return (err as Error & { problem: Problem }).problem;
  if (isSymphainyError(err) && isProblemCode(err.code)) {
    const issues = (err as SymphainyError & { issues?: readonly ErrorIssue[] }).issues;
    return problem(
      err.code,
      err.message,
      Array.isArray(issues)
        ? issues.filter((i) => typeof i?.path === 'string').map((i) => ({ in: i.in ?? 'body', field: i.path, message: i.message }))
        : undefined,
    );
  }
  const fastifyErr = err as { statusCode?: number; code?: string; message?: string };
  if (!isSymphainyError(err) && typeof fastifyErr.statusCode === 'number' && fastifyErr.statusCode >= 400 && fastifyErr.statusCode < 500) {
    return fromFastify(fastifyErr.code, fastifyErr.message ?? '');
  }
  return problem('SYM_ERR_INTERNAL', 'the server failed to handle this request; it is logged');
}

/** Fastify's own 4xx errors (routing, body parsing, size, content type), reworded to name what is wrong. */
function fromFastify(code: string | undefined, message: string): Problem {
  switch (code) {
    // Found by the router (server.ts frameworkErrors): the path itself is wrong.
    case 'FST_ERR_BAD_URL':
      return problem('SYM_ERR_INVALID_REQUEST', 'the request path is not valid percent-encoded UTF-8', [
        { in: 'path', field: '', message: 'is not valid percent-encoding' },
      ]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('SYM_ERR_URI_TOO_LONG', 'a path parameter is longer than the server accepts', [{ in: 'path', field: '', message: 'too long' }]);
    case 'FST_ERR_NOT_FOUND':
      return problem('SYM_ERR_NOT_FOUND', 'no such route (see /openapi.json)');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('SYM_ERR_LIMIT', 'the request body is larger than the server accepts (limits.body_bytes)', [
        { in: 'body', field: '', message: 'too large' },
      ]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('SYM_ERR_UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json', [
        { in: 'header', field: 'Content-Type', message: 'must be application/json' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('SYM_ERR_INVALID_REQUEST', 'the request body is empty; send a JSON object', [
        { in: 'body', field: '', message: 'is empty' },
      ]);
    default:
      if (/JSON|Unexpected|token|prototype/i.test(message) || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return problem('SYM_ERR_INVALID_REQUEST', `the request body is not valid JSON: ${message}`, [
          { in: 'body', field: '', message: 'is not valid JSON' },
        ]);
      }
      // fastify's other 4xx errors are all malformed requests (a Content-Length that does not match the body, …).
      return problem('SYM_ERR_INVALID_REQUEST', message);
  }
}

/** Sends a problem document; a 401 also carries the Bearer challenge (RFC 9110 15.5.2 requires one). */
export function sendProblem(reply: FastifyReply, p: Problem, instance: string): FastifyReply {
  if (p.status === 401) reply.header('www-authenticate', CHALLENGE);
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send({ ...p, instance });
}

/**
 * The raw HTTP answer to a request Node's parser refused before fastify saw
 * it (headers too large, bytes that are not HTTP): a problem document too,
 * then the connection is closed. Fastify's default answers plain JSON.
 * `head`: the request was a HEAD, whose answer has no body.
 */
export function clientErrorResponse(code: string | undefined, head = false): string {
  const p =
    code === 'HPE_HEADER_OVERFLOW'
      ? problem('SYM_ERR_HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts', [{ in: 'header', field: '', message: 'too large' }])
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problem('SYM_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time')
        : problem('SYM_ERR_INVALID_REQUEST', 'the request is not valid HTTP/1.1 (its request line, a header, or the path has bytes HTTP does not allow)');
  const body = JSON.stringify(p);
  return (
    `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? p.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${head ? '' : body}`
  );
}

import type { FastifyReply } from 'fastify';
import { isSymphainyError, type SymphainyError } from '../errors/index.ts';

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
  readonly errors?: readonly FieldIssue[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** An error raised while handling a request, answered as a problem document with this status. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: readonly FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function problem(status: number, code: string, detail: string, errors?: readonly FieldIssue[]): Problem {
  return {
    type: `urn:symphainy:error:${code}`,
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/**
 * The problem document for any error a handler threw: the runtime's own
 * errors keep their status and code (with field issues for invalid intents);
 * anything unexpected is a 500 whose detail says nothing of internals.
 */
export function problemOf(err: unknown): Problem & { headers?: Record<string, string> } {
  if (err instanceof HttpProblem) return { ...problem(err.status, err.code, err.message, err.errors), headers: err.headers };
  if (isSymphainyError(err)) {
    const issues = (err as SymphainyError & { issues?: { path: string; message: string }[] }).issues;
    return problem(
      err.statusCode,
      err.code,
      err.message,
      issues?.map((i) => ({ in: 'body' as const, field: i.path, message: i.message })),
    );
  }
  const fastifyErr = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyErr.statusCode === 'number' && fastifyErr.statusCode >= 400 && fastifyErr.statusCode < 500) {
    return fromFastify(fastifyErr.statusCode, fastifyErr.code, fastifyErr.message ?? '');
  }
  return problem(500, 'SYM_ERR_INTERNAL', 'the server failed to handle this request; it is logged');
}

/** Fastify's own 4xx errors (body parsing, size, content type), reworded to name what is wrong. */
function fromFastify(status: number, code: string | undefined, message: string): Problem {
  switch (code) {
    // Found by the router (server.ts frameworkErrors): the path itself is wrong.
    case 'FST_ERR_BAD_URL':
      return problem(400, 'SYM_ERR_INVALID_REQUEST', 'the request path is not valid percent-encoded UTF-8', [
        { in: 'path', field: '', message: 'is not valid percent-encoding' },
      ]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, 'SYM_ERR_LIMIT', 'a path parameter is longer than the server accepts', [{ in: 'path', field: '', message: 'too long' }]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'SYM_ERR_LIMIT', 'the request body is larger than the server accepts (limits.body_bytes)', [
        { in: 'body', field: '', message: 'too large' },
      ]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'SYM_ERR_INVALID_REQUEST', 'the request body must be application/json', [
        { in: 'header', field: 'Content-Type', message: 'must be application/json' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'SYM_ERR_INVALID_REQUEST', 'the request body is empty; send a JSON object', [
        { in: 'body', field: '', message: 'is empty' },
      ]);
    default:
      if (/JSON|Unexpected|token|prototype/i.test(message) || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return problem(400, 'SYM_ERR_INVALID_REQUEST', `the request body is not valid JSON: ${message}`, [
          { in: 'body', field: '', message: 'is not valid JSON' },
        ]);
      }
      return problem(status, 'SYM_ERR_INVALID_REQUEST', message);
  }
}

export function sendProblem(reply: FastifyReply, p: Problem & { headers?: Record<string, string> }, instance: string): FastifyReply {
  const { headers, ...body } = p;
  if (headers) reply.headers(headers);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send({ ...body, instance });
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
      ? problem(431, 'SYM_ERR_LIMIT', 'the request headers are larger than the server accepts', [{ in: 'header', field: '', message: 'too large' }])
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problem(408, 'SYM_ERR_INVALID_REQUEST', 'the request did not arrive in time')
        : problem(400, 'SYM_ERR_INVALID_REQUEST', 'the request is not valid HTTP/1.1 (its request line, a header, or the path has bytes HTTP does not allow)');
  const body = JSON.stringify(p);
  return (
    `HTTP/1.1 ${p.status} ${p.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${head ? '' : body}`
  );
}

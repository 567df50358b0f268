import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Runtime } from '../runtime/create-runtime.ts';
import { authenticate, type Caller } from './auth.ts';
import type { HttpLimits } from './limits.ts';
import { InvalidRequestError, type ErrorIssue } from '../errors/index.ts';
import { unstorableIn } from '../json/storable-text.ts';
import type { FieldLocation } from './problem.ts';

/** Who may call a route: a tenant's key, the admin key, or anyone. */
export type Access = 'tenant' | 'admin' | 'public';

export interface ResponseSpec {
  readonly description: string;
  /**
   * The body's schema (JSON); absent for non-JSON bodies. An error status
   * (4xx, 5xx) takes none: its body is a problem document whose codes come
   * from the table (src/http/problem-types.ts).
   */
  readonly schema?: z.ZodType;
  /** Content type when not JSON (e.g. `text/event-stream`). */
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export interface RouteInput<P, Q, B, H> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly headers: H;
  readonly caller: Caller;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/**
 * One HTTP operation: its inputs' schemas, who may call it, its responses
 * and its handler. The server registers it; the OpenAPI document is built
 * from the same object.
 */
export interface Route<P = unknown, Q = unknown, B = unknown, H = unknown> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Fastify path syntax (`/v1/executions/:id`). */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  readonly headers?: z.ZodType<H>;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /**
   * The error a body holding a string the store cannot keep is refused with
   * (a NUL or an unpaired surrogate, named by its path).
   * @default InvalidRequestError (SYM_ERR_INVALID_REQUEST)
   */
  readonly unstorableBody?: (message: string, issues: ErrorIssue[]) => Error;
  handler(input: RouteInput<P, Q, B, H>): Promise<unknown>;
}

/** Keeps the handler's input types tied to the route's schemas. */
export function defineRoute<P = undefined, Q = undefined, B = undefined, H = undefined>(route: Route<P, Q, B, H>): Route {
  return route as unknown as Route;
}

export interface RouteContext {
  readonly runtime: Runtime;
  readonly limits: HttpLimits;
  readonly adminKey: string | undefined;
}

/** The query of a route that declares none: no parameters (an unknown one is a 400 naming it, as on every route). */
const NO_QUERY = z.strictObject({});
/** The body of a route that declares none: nothing, or an empty object (a field sent is a 400 naming it). */
const NO_BODY = z.strictObject({}).optional();

/**
 * Registers routes: authenticate, validate every input against its schema,
 * then call the handler. A route without a query or body schema takes none:
 * whatever is sent there is refused like an unknown field of a declared one.
 * (Fastify reads no body on GET.)
 */
export function registerRoutes(app: FastifyInstance, routes: readonly Route[], ctx: RouteContext): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const caller = await authenticate(request, route.access, ctx);
        const input = {
          params: parseInput(route.params, request.params, 'path'),
          query: parseInput(route.query ?? NO_QUERY, request.query, 'query'),
          body: parseInput(route.body ?? (route.method === 'GET' ? undefined : NO_BODY), request.body, 'body', route.unstorableBody),
          headers: parseInput(route.headers, request.headers, 'header'),
          caller,
          request,
          reply,
        };
        return route.handler(input);
      },
    });
  }
}

const LABELS: Readonly<Record<FieldLocation, string>> = { path: 'path parameter', header: 'header', query: 'query parameter', body: 'field' };

/**
 * One input of a request (`where` it was carried) as its schema reads it;
 * undefined without a schema. Every route, every location: nothing reaches
 * a handler that could fail a query.
 * @throws InvalidRequestError naming each field, query parameter or header the schema refuses
 *   (`issues[].in` says which), or the first string in it PostgreSQL cannot store (a NUL, an
 *   unpaired surrogate; `unstorable` makes that error when given)
 */
export function parseInput<T>(schema: z.ZodType<T> | undefined, value: unknown, where: FieldLocation, unstorable?: Route['unstorableBody']): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(where === 'body' ? value : (value ?? {}));
  if (result.success) {
    const at = unstorableIn(result.data);
    if (at) {
      const issues: ErrorIssue[] = [{ in: where, path: at.path, message: at.message }];
      const message = at.path ? `${LABELS[where]} '${at.path}': ${at.message}` : `the request ${where} ${at.message}`;
      throw unstorable ? unstorable(message, issues) : new InvalidRequestError(message, issues);
    }
    return result.data;
  }
  const issues: ErrorIssue[] = result.error.issues.map((i) => {
    const path = i.path.map(String);
    if (i.code === 'unrecognized_keys') {
      return { in: where, path: [...path, i.keys[0]!].join('.'), message: `is not a known ${where === 'query' ? 'query parameter' : 'field'}` };
    }
    return { in: where, path: path.join('.'), message: i.message };
  });
  const first = issues[0]!;
  const label = LABELS[where];
  throw new InvalidRequestError(
    first.path
      ? `${label} '${first.path}': ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1, 4).map((i) => i.path).join(', ')})` : ''}`
      : `the request ${where} is invalid: ${first.message}`,
    issues,
  );
}

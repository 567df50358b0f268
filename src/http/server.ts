import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError } from '../errors/index.ts';
import type { Runtime } from '../runtime/create-runtime.ts';
import { defaultLogger } from '../runtime/logger.ts';
import { MAX_ENCODED_NAME_LENGTH } from '../realm/rendering-name.ts';
import type { EventStream, EventStreamOptions } from './event-stream.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.ts';
import { buildOpenApi } from './openapi.ts';
import { clientErrorResponse, problem, problemOf, sendProblem } from './problem.ts';
import { registerRoutes, type Route, type RouteContext } from './route.ts';
import { artifactRoutes } from './routes/artifacts.ts';
import { cacheRoutes } from './routes/cache.ts';
import { eventRoutes } from './routes/events.ts';
import { executionRoutes } from './routes/executions.ts';
import { intentRoutes } from './routes/intents.ts';
import { policyRoutes } from './routes/policy.ts';
import { systemRoutes } from './routes/system.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { governanceRoutes } from './routes/governance.ts';
import { policyChangeRoutes } from './routes/policy-changes.ts';

export interface HttpServerOptions {
  /** The admin key that manages tenants and reads /metrics (at least 32 characters); none: admin routes are off. */
  readonly adminKey?: string | undefined;
  readonly limits?: Partial<HttpLimits>;
  /** @default the runtime's default logger */
  readonly logger?: Logger;
  /** Tuning of `/v1/events` streams. */
  readonly events?: EventStreamOptions;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The HTTP API over a runtime (fastify): routes from `routes/`, every input
 * validated by its zod schema, every error an RFC 9457 problem document,
 * and `/openapi.json` built from the same schemas. Listen with
 * `app.listen()`; `app.close()` ends open event streams. The runtime stays
 * the caller's to close.
 */
export async function createHttpServer(runtime: Runtime, options: HttpServerOptions = {}): Promise<FastifyInstance> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`http limit ${name} must be a positive whole number, got ${String(value)}`);
  }
  if (options.adminKey !== undefined && options.adminKey.length < 32) {
    throw new ConfigError('the admin key must be at least 32 characters (e.g. openssl rand -base64 32)');
  }
  const logger = options.logger ?? defaultLogger();
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Requests are counted in /metrics; the log keeps what failed.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyBytes,
    // Long enough for any rendering name the naming rule accepts, percent-encoded.
    routerOptions: { maxParamLength: Math.max(300, MAX_ENCODED_NAME_LENGTH) },
    forceCloseConnections: true,
    return503OnClosing: true,
    // A malformed path or an over-long path parameter, found before routing: a problem document like every other error.
    frameworkErrors: (err, request, reply) => sendProblem(reply, problemOf(err), pathOf(request.url)),
    // A request Node's HTTP parser refused (header overflow, bytes HTTP does not allow).
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
      if (socket.writable) socket.write(clientErrorResponse(err.code, head));
      socket.destroy(err);
    },
  });
  // Bodies are JSON only: fastify's default text/plain parser would turn any text into a string body (a 400, not a 415).
  app.removeContentTypeParser('text/plain');
  const ctx: RouteContext = { runtime, limits, adminKey: options.adminKey };
  const streams = new Set<EventStream>();
  const routes: Route[] = [
    ...intentRoutes(ctx),
    ...executionRoutes(ctx),
    ...artifactRoutes(ctx),
    ...cacheRoutes(ctx),
    ...policyRoutes(ctx),
    ...eventRoutes(ctx, streams, options.events),
    ...governanceRoutes(ctx),
    ...policyChangeRoutes(ctx),
    ...tenantRoutes(ctx),
    ...systemRoutes(ctx),
  ];
  const document = buildOpenApi(routes, { version: VERSION });

  app.setErrorHandler((err, request, reply) => {
    const p = problemOf(err);
    if (p.status >= 500) request.log.error({ err, url: request.url }, 'request failed');
    return sendProblem(reply, p, pathOf(request.url));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, 'SYM_ERR_NOT_FOUND', `no route ${request.method} ${pathOf(request.url)} (see /openapi.json)`), pathOf(request.url)),
  );
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('onResponse', async (request, reply) => {
    runtime.metrics.request(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  // Event streams never end by themselves: end them so close() does not wait on them.
  app.addHook('preClose', async () => {
    for (const s of streams) s.close();
  });

  registerRoutes(app, routes, ctx);
  app.get('/openapi.json', async () => document);
  return app;
}

/** The path of a request URL, without its query string (for problem documents' `instance`). */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)).slice(0, 512);
}

import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError } from '../errors/index.ts';
import type { Runtime } from '../runtime/create-runtime.ts';
import { defaultLogger } from '../runtime/logger.ts';
import { MAX_ENCODED_NAME_LENGTH } from '../realm/rendering-name.ts';
import type { EventStream, EventStreamOptions } from './event-stream.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.ts';
import { compileHttpTimeouts, DEFAULT_MAX_CONNECTIONS, type HttpTimeouts } from './timeouts.ts';
import { buildOpenApi } from './openapi.ts';
import { registerJsonBodyParser } from './json-body.ts';
import { clientErrorResponse, problem, problemOf, sendProblem } from './problem.ts';
import { registerRoutes, type Route, type RouteContext } from './route.ts';
import { artifactRoutes } from './routes/artifacts.ts';
import { cacheRoutes } from './routes/cache.ts';
import { checkpointRoutes } from './routes/checkpoints.ts';
import { eventRoutes } from './routes/events.ts';
import { executionRoutes } from './routes/executions.ts';
import { intentRoutes } from './routes/intents.ts';
import { policyRoutes } from './routes/policy.ts';
import { systemRoutes } from './routes/system.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { governanceRoutes } from './routes/governance.ts';
import { policyChangeRoutes } from './routes/policy-changes.ts';
import { registerMcpRoute } from './routes/mcp.ts';
import { streamRoutes } from './routes/stream.ts';
import { usageRoutes } from './routes/usage.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { packagePath } from '../package/package-root.ts';
import { registerConsole } from './console.ts';

export interface HttpServerOptions {
  /** The admin key that manages tenants and reads /metrics (at least 32 characters); none: admin routes are off. */
  readonly adminKey?: string | undefined;
  readonly limits?: Partial<HttpLimits>;
  /** Header, request (body) and idle timeouts (`http.timeouts` in the runtime config). @default {@link DEFAULT_HTTP_TIMEOUTS} */
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Open connections at once; more are closed at accept (`http.max_connections`). @default 1024 */
  readonly maxConnections?: number;
  /** @default the runtime's default logger */
  readonly logger?: Logger;
  /** Tuning of `/v1/events` streams. */
  readonly events?: EventStreamOptions;
  /** The built operator console served at `/console`. @default the package's dist/console (`npm run build:console`) */
  readonly consoleDir?: string;
}

const VERSION = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

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
  const timeouts = compileHttpTimeouts(options.timeouts);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isSafeInteger(maxConnections) || maxConnections <= 0) {
    throw new ConfigError(`http maxConnections must be a positive whole number, got ${String(maxConnections)}`);
  }
  const logger = options.logger ?? defaultLogger();
  const app = Fastify({
    // Slow or half-sent requests cannot hold the server: Node answers 408 and closes the connection once
    // the headers (headersTimeout) or the whole request (requestTimeout) miss their time; it checks open
    // connections every connectionsCheckingInterval, so that follows the shortest timeout.
    http: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(timeouts.headersMs / 4))),
    },
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.idleSocketMs,
    loggerInstance: logger as FastifyBaseLogger,
    // Requests are counted in /metrics; the log keeps what failed.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyBytes,
    // Long enough for any rendering name the naming rule accepts, percent-encoded.
    routerOptions: { maxParamLength: Math.max(300, MAX_ENCODED_NAME_LENGTH) },
    // close() ends idle keep-alive connections at once but lets in-flight requests finish and be
    // answered (`serve` bounds that with its drain timeout); requests arriving meanwhile get 503
    // SYM_ERR_SHUTTING_DOWN from the onRequest hook below (fastify's own 503 is not a problem document).
    forceCloseConnections: 'idle',
    return503OnClosing: false,
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
  registerJsonBodyParser(app);
  const ctx: RouteContext = { runtime, limits, adminKey: options.adminKey };
  const streams = new Set<EventStream>();
  const executionStreams = new Set<{ close(): void }>();
  const routes: Route[] = [
    ...intentRoutes(ctx),
    ...executionRoutes(ctx),
    ...approvalRoutes(ctx),
    ...artifactRoutes(ctx),
    ...cacheRoutes(ctx),
    ...policyRoutes(ctx),
    ...eventRoutes(ctx, streams, options.events),
    ...governanceRoutes(ctx),
    ...checkpointRoutes(ctx),
    ...policyChangeRoutes(ctx),
    ...tenantRoutes(ctx),
    ...systemRoutes(ctx),
    ...usageRoutes(ctx),
    ...streamRoutes(ctx, executionStreams),
  ];
  const document = buildOpenApi(routes, { version: VERSION });

  app.setErrorHandler((err, request, reply) => {
    const p = problemOf(err);
    if (p.status >= 500) request.log.error({ err, url: request.url }, 'request failed');
    return sendProblem(reply, p, pathOf(request.url));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('SYM_ERR_NOT_FOUND', `no route ${request.method} ${pathOf(request.url)} (see /openapi.json)`), pathOf(request.url)),
  );
  let closing = false;
  app.addHook('onRequest', async (request, reply) => {
    // fastify has set Connection: close on it already.
    if (closing) return sendProblem(reply, problem('SYM_ERR_SHUTTING_DOWN', 'the server is shutting down; send the request again'), pathOf(request.url));
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('onResponse', async (request, reply) => {
    runtime.metrics.request(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  // Event streams never end by themselves: end them so close() does not wait on them.
  app.addHook('preClose', async () => {
    closing = true;
    for (const s of streams) s.close();
    for (const s of executionStreams) s.close();
  });

  app.server.maxConnections = maxConnections;
  registerRoutes(app, routes, ctx);
  registerMcpRoute(app, ctx);
  registerConsole(app, options.consoleDir);
  app.get('/openapi.json', async () => document);
  return app;
}

/** The path of a request URL, without its query string (for problem documents' `instance`). */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)).slice(0, 512);
}

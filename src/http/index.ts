/**
 * The HTTP API over a runtime: `createHttpServer(runtime, options)` returns
 * a fastify instance to `listen()` on.
 * @module
 */
export { createHttpServer, type HttpServerOptions } from './server.ts';
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.ts';
export type { Problem, FieldIssue } from './problem.ts';
export { PROBLEM_TYPES, type ProblemCode, type ProblemType } from './problem-types.ts';
export type { EventStreamOptions } from './event-stream.ts';
export { DEFAULT_HTTP_TIMEOUTS, DEFAULT_MAX_CONNECTIONS, type HttpTimeouts } from './timeouts.ts';

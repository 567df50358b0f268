/**
 * What `symphainy serve` (the HTTP server) is configured with. The types and
 * defaults live here, with every other option, so the runtime config can name
 * them without depending on the HTTP layer; `src/http` reads them from here.
 */

/** What the HTTP API accepts at most; each can be set in the runtime config's `http.limits`. */
export interface HttpLimits {
  /** Bytes of a request body. @default 1 MiB */
  readonly bodyBytes: number;
  /** Nesting depth of intent parameters (objects and arrays). @default 32 */
  readonly parameterDepth: number;
  /** Bytes of a rendering served by `/v1/artifacts/:id/content/:rendering`. @default 32 MiB */
  readonly renderingBytes: number;
  /** Largest `limit` of a listing. @default 500 */
  readonly pageSize: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  bodyBytes: 1024 * 1024,
  parameterDepth: 32,
  renderingBytes: 32 * 1024 * 1024,
  pageSize: 500,
});

/**
 * How long the HTTP server waits on a client, so slow or half-sent requests
 * cannot hold connections; each can be set in the runtime config's
 * `http.timeouts` (durations). A request that misses one is answered 408 (or
 * its connection closed) by Node's HTTP server.
 */
export interface HttpTimeouts {
  /** Milliseconds to receive a request's headers. @default 15000 */
  readonly headersMs: number;
  /**
   * Milliseconds to receive a whole request, headers and body (not the time
   * the handler takes to answer). @default 30000
   */
  readonly requestMs: number;
  /**
   * Milliseconds an idle keep-alive connection stays open between requests.
   * Longer than the usual load balancer idle timeout (60 s), so the server is
   * never the side that closes a connection a proxy or client is about to
   * reuse (a reset request). @default 72000
   */
  readonly keepAliveMs: number;
  /**
   * Milliseconds a socket may see no traffic at all before it is closed,
   * including while a synchronous request waits for its handler; 0: never
   * (the default, so a long realm handler is not cut off — event streams
   * send heartbeats). @default 0
   */
  readonly idleSocketMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = Object.freeze({
  headersMs: 15_000,
  requestMs: 30_000,
  keepAliveMs: 72_000,
  idleSocketMs: 0,
});

/** Open connections the server accepts at once; more are refused at accept. @default 1024 */
export const DEFAULT_MAX_CONNECTIONS = 1024;

import { ConfigError } from '../errors/index.ts';

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

/** Defaults filled in and checked; throws ConfigError naming the field. */
export function compileHttpTimeouts(given: Partial<HttpTimeouts> = {}): HttpTimeouts {
  const t: HttpTimeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...given };
  for (const [name, value] of Object.entries(t)) {
    const min = name === 'idleSocketMs' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new ConfigError(`http timeout ${name} must be a ${min ? 'positive' : 'non-negative'} whole number of milliseconds, got ${String(value)}`);
    }
  }
  // Node refuses a headers timeout above the request timeout.
  if (t.headersMs > t.requestMs) throw new ConfigError(`http timeout headersMs (${t.headersMs}) must not exceed requestMs (${t.requestMs})`);
  return Object.freeze(t);
}

import { ConfigError } from '../errors/index.ts';

// The timeouts and their defaults are options, compiled with every other one (src/options).
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from '../options/http-options.ts';
export { DEFAULT_HTTP_TIMEOUTS, DEFAULT_MAX_CONNECTIONS, type HttpTimeouts } from '../options/http-options.ts';

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

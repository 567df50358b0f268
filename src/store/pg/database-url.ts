import { userInfo } from 'node:os';
import { ConfigError } from '../../errors/index.ts';

/**
 * Checks a PostgreSQL connection URL and returns it with any password
 * removed, for messages and logs. Credentials are never echoed, also when the
 * URL is rejected.
 */
export function redactDatabaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`database URL is not a valid URL: ${redactLoosely(raw)} (expected postgres://[user@]host[:port]/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      `database URL must start with postgres:// or postgresql://, got ${url.protocol}// in ${redactLoosely(raw)}`,
    );
  }
  if (!url.hostname && !url.searchParams.get('host')) {
    throw new ConfigError(`database URL names no host: ${redactLoosely(raw)}`);
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|key/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** Masks `user:password@` in a string that did not even parse as a URL. */
function redactLoosely(raw: string): string {
  return JSON.stringify(raw.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@'));
}

/** Like libpq: without a user in the URL or PGUSER, connect as the OS user ($USER may be unset). */
export function withDefaultUser(raw: string): string {
  const url = new URL(raw);
  if (url.username || process.env.PGUSER || process.env.USER) return raw;
  url.username = userInfo().username;
  return url.toString();
}

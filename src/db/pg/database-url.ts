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
    // Not shown: without URL structure there is no telling which part is a password.
    throw new ConfigError('database URL is not a valid URL (expected postgres://[user[:password]@]host[:port]/database; the value is not shown, as it may hold a password)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      `database URL must start with postgres:// or postgresql://, got ${url.protocol}// in ${JSON.stringify(redacted(url))}`,
    );
  }
  if (!url.hostname && !url.searchParams.get('host')) {
    throw new ConfigError(`database URL names no host: ${JSON.stringify(redacted(url))}`);
  }
  return redacted(url);
}

function redacted(parsed: URL): string {
  const url = new URL(parsed.href);
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|key/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** Like libpq: without a user in the URL or PGUSER, connect as the OS user ($USER may be unset). */
export function withDefaultUser(raw: string): string {
  const url = new URL(raw);
  if (url.username || process.env.PGUSER || process.env.USER) return raw;
  url.username = userInfo().username;
  return url.toString();
}

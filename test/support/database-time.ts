import { ANY_TENANT, type Db } from '../../src/index.ts';

/** The database's clock (`clock_timestamp()`), in epoch milliseconds (fractional). */
export async function dbTime(db: Db): Promise<number> {
  const rows = await db.query<{ ms: number | string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms');
  return Number(rows[0]!.ms);
}

/**
 * Lets `seconds` pass for every deadline in the database: retention ends
 * and cache entries expire that much earlier. Deadlines are compared with
 * the database's clock, which a test cannot move; moving them is the same
 * comparison (`deadline - s <= now` is `deadline <= now + s`).
 */
export async function elapse(db: Db, seconds: number): Promise<void> {
  const q = db.scoped(ANY_TENANT);
  await q.query("UPDATE symphainy.artifacts SET retain_until = retain_until - $1 * interval '1 second' WHERE retain_until IS NOT NULL", [seconds]);
  await q.query("UPDATE symphainy.cache_entries SET expires_at = expires_at - $1 * interval '1 second'", [seconds]);
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, { timeoutMs = 30_000, everyMs = 50 } = {}): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

import { parseDuration } from '../policy/duration.ts';

/** What a usage query's `since` may be, as every message about it says. */
export const USAGE_SINCE_FORMS = "a window (e.g. 7d, 12h), 'today' or an ISO 8601 time (e.g. 2026-01-31T00:00:00Z)";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The one reading of a usage query's `since` — `symphainy usage --since`,
 * `GET /v1/usage?since=` and `modelWork.usage` all take it here: `today`
 * (the database's current UTC day), an ISO 8601 time (as given), or a window
 * back from `now` through the one duration parser (`7d`, `12h`, `90m`;
 * a bare number is seconds), returned as the ISO time it starts at.
 *
 * @returns `'today'` or an ISO 8601 time
 * @throws Error whose message says which forms are accepted and what was
 *   given (`must be …, got "x"`); the caller names the flag, parameter or field.
 */
export function usageSince(value: string, now: number = Date.now()): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === 'today') return text;
  if (ISO_TIME.test(text) && !Number.isNaN(Date.parse(text))) return text;
  let seconds: number | undefined;
  try {
    seconds = parseDuration(text);
  } catch {
    /* neither: refused below */
  }
  if (seconds === undefined) throw new Error(`must be ${USAGE_SINCE_FORMS}, got ${JSON.stringify(value)}`);
  return new Date(now - seconds * 1000).toISOString();
}

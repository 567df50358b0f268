import { InvalidRequestError } from '../errors/index.ts';
import { refuseUnstorable } from '../json/storable-text.ts';
import { MAX_COUNT } from '../policy/config-issues.ts';
import { MAX_DURATION_SECONDS } from '../policy/duration.ts';

/**
 * The one check of the runtime API's inputs at its boundary, before anything
 * is read or written: what the store or a query could not hold is refused
 * with SYM_ERR_INVALID_REQUEST naming the field, never a database error.
 */

const whole = (min: number, max: number) => (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** The numbers the API takes, by field name: each ends up in a query (a LIMIT, a position, an interval) or a deadline. */
const NUMBERS: Readonly<Record<string, { readonly ok: (v: unknown) => boolean; readonly expected: string }>> = {
  limit: { ok: whole(1, MAX_COUNT), expected: `a whole number from 1 to ${MAX_COUNT}` },
  afterSeq: { ok: whole(0, Number.MAX_SAFE_INTEGER), expected: 'a whole number, 0 or more' },
  withinSeconds: { ok: (v) => typeof v === 'number' && v > 0 && v <= MAX_DURATION_SECONDS, expected: `a number of seconds above 0, at most ${MAX_DURATION_SECONDS}` },
  timeoutMs: { ok: whole(0, Number.MAX_SAFE_INTEGER), expected: 'a whole number of milliseconds, 0 or more' },
};

/**
 * Checks the inputs of one API call, given as one object of its arguments'
 * fields (`{ executionId, ...scope, ...options }`):
 * - every string, however deep, is one PostgreSQL can store (no NUL, no
 *   unpaired surrogate), named by its path;
 * - `limit`, `afterSeq`, `withinSeconds` and `timeoutMs` are numbers in range;
 * - `since` and `until` are dates (ISO-8601 text or Date objects) in the
 *   years 1 to 9999, and `since` is earlier than `until`.
 *
 * @throws InvalidRequestError naming the first offending field.
 */
export function checkInputs(input: object): void {
  refuseUnstorable(input);
  const fields = input as Readonly<Record<string, unknown>>;
  for (const [name, rule] of Object.entries(NUMBERS)) {
    const v = fields[name];
    if (v !== undefined && !rule.ok(v)) {
      throw new InvalidRequestError(`${name} must be ${rule.expected}, got ${String(v)}`, [{ path: name, message: `must be ${rule.expected}` }]);
    }
  }
  const since = instant(fields.since, 'since');
  const until = instant(fields.until, 'until');
  if (since !== undefined && until !== undefined && since >= until) {
    const message = `since (${new Date(since).toISOString()}) must be earlier than until (${new Date(until).toISOString()}): the window is empty`;
    throw new InvalidRequestError(message, [
      { path: 'since', message: 'must be earlier than until' },
      { path: 'until', message: 'must be later than since' },
    ]);
  }
}

/** The time of a `since`/`until` value in milliseconds, or undefined when absent; throws naming `name` when it is not a storable date. */
function instant(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  const year = d?.getUTCFullYear();
  // The store's timestamps hold the years 1 to 9999.
  if (!d || Number.isNaN(d.getTime()) || year! < 1 || year! > 9999) {
    throw new InvalidRequestError(`${name} must be an ISO-8601 date or date-time in the years 1 to 9999, got ${JSON.stringify(value)}`, [
      { path: name, message: 'must be an ISO-8601 date or date-time' },
    ]);
  }
  return d.getTime();
}

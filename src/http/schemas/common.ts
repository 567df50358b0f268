import { z } from 'zod';
import { INTENT_TYPE, SAFE_ID, TENANT_ID } from '../../intent/intent.ts';
import { MATERIALIZATION_DECISIONS, POLICY_LAYERS } from '../../policy/decision.ts';
import { textProblem } from '../../realm/storable.ts';

/** The building blocks every schema file uses: ids, timestamps, decisions, paging. */

export const Id = z.string().regex(SAFE_ID, 'must be 1-128 letters, digits or . _ - : @ (not starting with a dot)');
/** A tenant id: the rule of every tenant id (src/intent/intent.ts), so `symphainy:platform` is refused here as everywhere. */
export const TenantId = z.string().regex(TENANT_ID, "must be 1-128 letters, digits or . _ - : @ (not starting with a dot or 'symphainy:')");
export const IntentType = z.string().regex(INTENT_TYPE, "must be of the form '<realm>.<intent>'").max(200);
export const Timestamp = z.string().describe('ISO-8601 timestamp');
export const Decision = z.enum(MATERIALIZATION_DECISIONS as [string, ...string[]]);
export const Layer = z.enum(POLICY_LAYERS as [string, ...string[]]);
export const Json = z.record(z.string(), z.unknown());
/** Text PostgreSQL can store: no NUL, no unpaired surrogate (a 400 naming the field, not a failed write). */
export const StorableText = z.string().superRefine((s, c) => {
  const problem = textProblem(s);
  if (problem) c.addIssue({ code: 'custom', message: problem });
});

/** A whole number in a query string. */
export const QueryInt = (max: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n <= max, `must be at most ${max}`);
const INSTANT_FORMS = 'a date (2026-01-31, midnight UTC) or a date-time with a zone (2026-01-31T12:00:00Z, 2026-01-31T14:00:00+02:00)';
const DATE_TIME = z.iso.datetime({ offset: true });
const DATE = z.iso.date();

/**
 * An instant in a query string, normalized to UTC ISO-8601: a date alone
 * (`2026-01-31`, its midnight UTC) or a date-time with a zone; years 1 to
 * 9999 (what the store's timestamps hold). Every time parameter uses it.
 */
export const QueryInstant = z
  .string()
  .transform((v, ctx) => {
    const ok = DATE_TIME.safeParse(v).success || DATE.safeParse(v).success;
    const d = ok ? new Date(DATE.safeParse(v).success ? `${v}T00:00:00Z` : v) : null;
    const year = d?.getUTCFullYear() ?? 0;
    if (!d || Number.isNaN(d.getTime()) || year < 1 || year > 9999) {
      ctx.addIssue({ code: 'custom', message: `must be ${INSTANT_FORMS} in the years 1 to 9999, got ${JSON.stringify(v.slice(0, 64))}` });
      return z.NEVER;
    }
    return d.toISOString();
  })
  .describe(`ISO-8601: ${INSTANT_FORMS}`);

/**
 * `since` and `until` of a query (both {@link QueryInstant}): a window that
 * can hold nothing — `since` not before `until` — is refused naming both.
 */
export const queryWindow = (describe: { since: string; until: string }) => ({
  since: QueryInstant.optional().describe(`${describe.since}: ${INSTANT_FORMS}`),
  until: QueryInstant.optional().describe(`${describe.until}: ${INSTANT_FORMS}; later than since`),
});

/** Refuses a query whose `since` is not before its `until` (an empty window), naming both. */
export function checkWindow(q: { since?: string | undefined; until?: string | undefined }, ctx: z.RefinementCtx): void {
  if (q.since === undefined || q.until === undefined || q.since < q.until) return;
  ctx.addIssue({ code: 'custom', path: ['since'], message: `must be earlier than until (since ${q.since}, until ${q.until}: the window is empty)` });
  ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
}

export const Cursor = z.string().max(512).describe('opaque: the nextCursor of the previous page');

export const pageQuery = (pageSize: number) => ({ limit: QueryInt(pageSize).optional(), cursor: Cursor.optional() });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null at the end') });

/** A recorded failure: its code (docs/errors.md) and message. */
export const ErrorInfo = z.object({ code: z.string(), message: z.string() });

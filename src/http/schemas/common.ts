import { z } from 'zod';
import { INTENT_TYPE, SAFE_ID } from '../../intent/intent.ts';
import { MATERIALIZATION_DECISIONS, POLICY_LAYERS } from '../../policy/decision.ts';
import { textProblem } from '../../realm/storable.ts';

/** The building blocks every schema file uses: ids, timestamps, decisions, paging. */

export const Id = z.string().regex(SAFE_ID, 'must be 1-128 letters, digits or . _ - : @ (not starting with a dot)');
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
export const Cursor = z.string().max(512).describe('opaque: the nextCursor of the previous page');

export const pageQuery = (pageSize: number) => ({ limit: QueryInt(pageSize).optional(), cursor: Cursor.optional() });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null at the end') });

/** A recorded failure: its code (docs/errors.md) and message. */
export const ErrorInfo = z.object({ code: z.string(), message: z.string() });

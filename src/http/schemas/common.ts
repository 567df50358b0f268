import { z } from 'zod';
import { INTENT_TYPE, SAFE_ID, TENANT_ID } from '../../intent/intent.ts';
import { MATERIALIZATION_DECISIONS, POLICY_LAYERS } from '../../policy/decision.ts';

/** The building blocks every schema file uses: ids, timestamps, decisions, paging. */

export const Id = z.string().regex(SAFE_ID, 'must be 1-128 letters, digits or . _ - : @ (not starting with a dot)');
/** A tenant id: the rule of every tenant id (src/intent/intent.ts), so `symphainy:platform` is refused here as everywhere. */
export const TenantId = z.string().regex(TENANT_ID, "must be 1-128 letters, digits or . _ - : @ (not starting with a dot or 'symphainy:')");
export const IntentType = z.string().regex(INTENT_TYPE, "must be of the form '<realm>.<intent>'").max(200);
export const Timestamp = z.string().describe('ISO-8601 timestamp');
export const Decision = z.enum(MATERIALIZATION_DECISIONS as [string, ...string[]]);
export const Layer = z.enum(POLICY_LAYERS as [string, ...string[]]);
export const Json = z.record(z.string(), z.unknown());

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

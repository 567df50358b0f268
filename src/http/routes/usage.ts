import { z } from 'zod';
import { USAGE_SINCE_FORMS, usageSince } from '../../execution/usage-since.ts';
import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Id, Problem } from '../schemas/index.ts';

const UsageQuery = z.strictObject({
  executionId: Id.optional().describe('only this execution'),
  // The forms of `symphainy usage --since`, read by the same parser.
  since: z.string().max(64).transform((value, ctx) => {
    try {
      return usageSince(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }).optional().describe(`${USAGE_SINCE_FORMS.replace(/^a window/, 'a window back from now')}; 'today' is the database's UTC day`),
});
const Totals = {
  inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number(),
  costUsd: z.number().describe('US dollars (unknown costs count as 0)'), calls: z.number().int(),
};
const UsageSummary = z.object({ totals: z.object(Totals), byModel: z.array(z.object({ model: z.string(), ...Totals })) });

/** `GET /v1/usage`: this tenant's recorded model usage (ctx.recordUsage), overall and per model. */
export const usageRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/usage',
    operationId: 'modelUsage',
    summary: "This tenant's model usage: tokens and cost, overall and per model; of one execution, or since a time",
    tag: 'executions',
    access: 'tenant',
    query: UsageQuery,
    responses: { 200: { description: 'the totals', schema: UsageSummary }, 400: { description: 'a bad query', schema: Problem } },
    handler: async ({ query, caller }) => ctx.runtime.modelWork.usage(tenantOf(caller), query),
  }),
];

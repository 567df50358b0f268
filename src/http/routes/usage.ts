import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Id, Problem } from '../schemas/index.ts';

const UsageQuery = z.strictObject({
  executionId: Id.optional().describe('only this execution'),
  since: z.string().max(64).optional().describe("'today' (the database's UTC day) or an ISO 8601 time"),
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

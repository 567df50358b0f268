import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ActivePolicy, ExplainBody, Explanation } from '../schemas/index.ts';

/** The policy in force for the caller's tenant, and every layer's verdict for a hypothetical artifact of it. */
export const policyRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/policy',
    operationId: 'getPolicy',
    summary: "The policy in force for the caller's tenant: its version and every layer's rules (platform, governance, solution, attached configs)",
    tag: 'policy',
    access: 'tenant',
    responses: { 200: { description: 'the policy', schema: ActivePolicy } },
    handler: async ({ caller }) => {
      const tenantId = tenantOf(caller);
      return { tenantId, ...(await ctx.runtime.inForcePolicy()).resolve(tenantId).describe() };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/policy/explain',
    operationId: 'explainPolicy',
    summary: 'The decision, deciding layer and reason for a hypothetical artifact of the caller\'s tenant (and solutionId), under the policy runs use now, with every layer\'s verdict',
    tag: 'policy',
    access: 'tenant',
    body: ExplainBody,
    responses: { 200: { description: 'the explanation', schema: Explanation }, 400: { description: 'bad input' } },
    handler: async ({ body, caller }) => {
      const { solutionId, ...input } = body;
      return ctx.runtime.explainPolicy({ ...input, tenantId: tenantOf(caller) }, solutionId ? { solutionId } : {});
    },
  }),
];

import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ExplainBody, Explanation } from '../schemas/index.ts';

/** `POST /v1/policy/explain`: every layer's verdict for a hypothetical artifact of the caller's tenant. */
export const policyRoutes = (ctx: RouteContext) => [
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

import { jsonDepth } from '../limits.ts';
import { tenantOf } from '../auth.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ExecutionResult, IdempotencyHeaders, IntentBody, IntentQuery, Problem, Submitted } from '../schemas.ts';

/** `POST /v1/intents`: execute now (sync) or queue (async); Idempotency-Key makes a retry safe. */
export const intentRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'POST',
    url: '/v1/intents',
    operationId: 'executeIntent',
    summary: 'Execute an intent (or queue it with ?mode=async)',
    tag: 'intents',
    access: 'tenant',
    body: IntentBody,
    query: IntentQuery,
    headers: IdempotencyHeaders,
    responses: {
      200: { description: 'the execution ran; its result (status completed or failed)', schema: ExecutionResult },
      202: { description: 'queued (mode=async); poll the execution', schema: Submitted, headers: { Location: 'the execution' } },
      400: { description: 'invalid intent or parameters', schema: Problem },
      404: { description: 'unknown intent type', schema: Problem },
      409: { description: 'the intent id / Idempotency-Key is in use by a running execution, or for a different request', schema: Problem },
      413: { description: 'body or parameter nesting over the limit', schema: Problem },
    },
    async handler({ body, query, headers, caller, reply }) {
      const tenantId = tenantOf(caller);
      const depth = jsonDepth(body.parameters ?? {}, ctx.limits.parameterDepth);
      if (depth > ctx.limits.parameterDepth) {
        throw new HttpProblem(413, 'SYM_ERR_LIMIT', `parameters nest deeper than ${ctx.limits.parameterDepth} levels (limits.parameter_depth)`, [
          { in: 'body', field: 'parameters', message: `nests deeper than ${ctx.limits.parameterDepth} levels` },
        ]);
      }
      const key = headers['idempotency-key'];
      if (key !== undefined && body.intentId !== undefined && key !== body.intentId) {
        throw new HttpProblem(400, 'SYM_ERR_INVALID_REQUEST', 'Idempotency-Key and intentId differ; send one of them (the key becomes the intent id)', [
          { in: 'header', field: 'Idempotency-Key', message: 'differs from the body\'s intentId' },
        ]);
      }
      // The Idempotency-Key is the tenant's intent id: the runtime runs an intent id once per tenant.
      const intentId = key ?? body.intentId;
      const intent = {
        intentType: body.intentType,
        tenantId,
        sessionId: body.sessionId,
        parameters: body.parameters ?? {},
        ...(intentId !== undefined ? { intentId } : {}),
        ...(body.createdAt ? { createdAt: body.createdAt } : {}),
        ...(body.solutionId ? { solutionId: body.solutionId } : {}),
      };
      if (query.mode === 'async') {
        if (body.timeoutMs !== undefined) {
          throw new HttpProblem(400, 'SYM_ERR_INVALID_REQUEST', 'timeoutMs applies to synchronous executions only; a queued intent runs under its realm\'s timeout', [
            { in: 'body', field: 'timeoutMs', message: 'is not allowed with mode=async' },
          ]);
        }
        const submitted = await ctx.runtime.submit(intent);
        return reply.code(202).header('location', `/v1/executions/${submitted.executionId}`).send(submitted);
      }
      return ctx.runtime.execute(intent, body.timeoutMs ? { timeoutMs: body.timeoutMs } : {});
    },
  }),
];

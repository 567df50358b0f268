import { jsonDepth } from '../limits.ts';
import { tenantOf } from '../auth.ts';
import { InvalidIntentError, InvalidRequestError, LimitExceededError } from '../../errors/index.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ExecutionResult, IdempotencyHeaders, IntentBody, IntentQuery, Submitted } from '../schemas/index.ts';

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
    // As the runtime answers an intent whose parameters it cannot store (library, MCP): one code for one fault.
    unstorableBody: (message, issues) => new InvalidIntentError(message, issues),
    responses: {
      200: { description: 'the execution ran; its result (status completed or failed)', schema: ExecutionResult },
      202: { description: 'queued (mode=async); poll the execution', schema: Submitted, headers: { Location: 'the execution' } },
      400: { description: 'invalid intent or parameters' },
      404: { description: 'unknown intent type' },
      409: { description: 'the intent id / Idempotency-Key is in use by a running execution, or for a different request' },
      413: { description: 'body or parameter nesting over the limit' },
    },
    async handler({ body, query, headers, caller, reply }) {
      const tenantId = tenantOf(caller);
      const depth = jsonDepth(body.parameters ?? {}, ctx.limits.parameterDepth);
      if (depth > ctx.limits.parameterDepth) {
        throw new LimitExceededError(`parameters nest deeper than ${ctx.limits.parameterDepth} levels (limits.parameter_depth)`, [
          { in: 'body', path: 'parameters', message: `nests deeper than ${ctx.limits.parameterDepth} levels` },
        ]);
      }
      const key = headers['idempotency-key'];
      if (key !== undefined && body.intentId !== undefined && key !== body.intentId) {
        throw new InvalidRequestError('Idempotency-Key and intentId differ; send one of them (the key becomes the intent id)', [
          { in: 'header', path: 'Idempotency-Key', message: 'differs from the body\'s intentId' },
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
      const trace = headers.traceparent ? { traceparent: headers.traceparent } : {};
      if (query.mode === 'async') {
        if (body.timeoutMs !== undefined) {
          throw new InvalidRequestError('timeoutMs applies to synchronous executions only; a queued intent runs under its realm\'s timeout', [
            { in: 'body', path: 'timeoutMs', message: 'is not allowed with mode=async' },
          ]);
        }
        const submitted = await ctx.runtime.submit(intent, trace);
        return reply.code(202).header('location', `/v1/executions/${submitted.executionId}`).send(submitted);
      }
      return ctx.runtime.execute(intent, { ...(body.timeoutMs ? { timeoutMs: body.timeoutMs } : {}), ...trace });
    },
  }),
];

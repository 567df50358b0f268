import { acceptedAt, type ExecutionStatus } from '../../store/state-surface.ts';
import { tenantOf } from '../auth.ts';
import { fetchPage } from '../cursor.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Execution, ExecutionListQuery, ExecutionParams, Journey, page } from '../schemas/index.ts';

const DEFAULT_PAGE = 50;

/** Executions of the caller's tenant: one, a filtered page, one's journey through the WAL, and a retry of a dead one. */
export const executionRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/executions/:id',
    operationId: 'getExecution',
    summary: 'One execution: status, parameters, state, result',
    tag: 'executions',
    access: 'tenant',
    params: ExecutionParams,
    responses: { 200: { description: 'the execution', schema: Execution }, 404: { description: 'no such execution for this tenant' } },
    handler: ({ params, caller }) => ctx.runtime.getExecution(params.id, { tenantId: tenantOf(caller) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/executions',
    operationId: 'listExecutions',
    summary: 'Executions, newest first, in pages',
    tag: 'executions',
    access: 'tenant',
    query: ExecutionListQuery(ctx.limits.pageSize),
    responses: { 200: { description: 'a page of executions', schema: page(Execution) }, 400: { description: 'bad filter or cursor' } },
    async handler({ query, caller }) {
      return fetchPage(
        query,
        Math.min(DEFAULT_PAGE, ctx.limits.pageSize),
        (limit, before) =>
          ctx.runtime.listExecutions({
            tenantId: tenantOf(caller),
            limit,
            ...(query.status ? { status: query.status as ExecutionStatus } : {}),
            ...(query.intentType ? { intentType: query.intentType } : {}),
            ...(query.sessionId ? { sessionId: query.sessionId } : {}),
            ...(before ? { before } : {}),
          }),
        (e) => ({ at: acceptedAt(e), id: e.executionId }),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/executions/:id/journey',
    operationId: 'getJourney',
    summary: "An execution's write-ahead log records, in order",
    tag: 'executions',
    access: 'tenant',
    params: ExecutionParams,
    responses: { 200: { description: 'its WAL records', schema: Journey }, 404: { description: 'no such execution for this tenant' } },
    async handler({ params, caller }) {
      const tenantId = tenantOf(caller);
      await ctx.runtime.getExecution(params.id, { tenantId }); // 404 unless it is this tenant's
      const records = await ctx.runtime.listWal({ tenantId, executionId: params.id, limit: 10_000 });
      return { executionId: params.id, records };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/executions/:id/retry',
    operationId: 'retryExecution',
    summary: 'Re-queue a dead or failed execution with a fresh attempt budget (recorded in the WAL with the key that asked)',
    tag: 'executions',
    access: 'tenant',
    params: ExecutionParams,
    responses: {
      200: { description: 'the execution, queued again', schema: Execution },
      404: { description: 'no such execution for this tenant' },
      409: { description: 'the execution is not dead or failed' },
    },
    async handler({ params, caller }) {
      const requestedBy = caller.kind === 'tenant' ? `api-key:${caller.keyId}` : caller.kind;
      return ctx.runtime.retryExecution(params.id, { tenantId: tenantOf(caller) }, { requestedBy });
    },
  }),
];

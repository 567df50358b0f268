import { artifactIdsIn } from '../../execution/lineage.ts';
import { NotFoundError } from '../../errors/index.ts';
import type { ArtifactRecord } from '../../store/artifact-index.ts';
import { acceptedAt, type ExecutionStatus } from '../../store/state-surface.ts';
import { actorOf, tenantOf } from '../auth.ts';
import { fetchPage } from '../cursor.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Execution, ExecutionLineage, ExecutionListQuery, ExecutionParams, Journey, page, Steps } from '../schemas/index.ts';
import { artifactView } from './artifacts.ts';

const DEFAULT_PAGE = 50;

/**
 * Executions of the caller's tenant: one, a filtered page, one's journey
 * through the WAL, its step journal, its lineage, and a retry of a dead one.
 */
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
            ...(query.since ? { since: query.since } : {}),
            ...(query.until ? { until: query.until } : {}),
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
      return ctx.runtime.retryExecution(params.id, { tenantId: tenantOf(caller) }, { requestedBy: actorOf(caller) });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/executions/:id/steps',
    operationId: 'listSteps',
    summary: "An execution's step journal: durable steps, sleeps, signal waits and approvals, in the handler's order",
    tag: 'executions',
    access: 'tenant',
    params: ExecutionParams,
    responses: { 200: { description: 'its journaled steps', schema: Steps }, 404: { description: 'no such execution for this tenant' } },
    handler: async ({ params, caller }) => ({
      executionId: params.id,
      items: await ctx.runtime.listSteps(params.id, { tenantId: tenantOf(caller) }),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/executions/:id/lineage',
    operationId: 'getLineage',
    summary: 'Where an execution stands in lineage: the persisted artifacts its parameters named (inputs) and those it produced (outputs)',
    tag: 'executions',
    access: 'tenant',
    params: ExecutionParams,
    responses: { 200: { description: 'inputs → execution → outputs', schema: ExecutionLineage }, 404: { description: 'no such execution for this tenant' } },
    async handler({ params, caller }) {
      const scope = { tenantId: tenantOf(caller) };
      const execution = await ctx.runtime.getExecution(params.id, scope);
      const outputs = await ctx.runtime.listArtifacts({ ...scope, executionId: params.id, limit: 1000 });
      // Only this tenant's artifacts: an id naming another tenant's artifact is no lineage and reveals nothing.
      const named = new Set([...artifactIdsIn(execution.parameters), ...outputs.flatMap((a) => a.lineage.inputArtifactIds)]);
      const inputs: ArtifactRecord[] = [];
      for (const id of named) {
        try {
          inputs.push(await ctx.runtime.getArtifact(id, scope));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return {
        execution: { executionId: execution.executionId, intentType: execution.intentType, status: execution.status, realm: execution.realm },
        inputs: inputs.map(artifactView),
        outputs: outputs.reverse().map(artifactView),
      };
    },
  }),
];

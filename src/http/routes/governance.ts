import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import {
  ArtifactParams, ArtifactView, CacheEntryParams, ChainReport, ErasureBody, ErasureReport, ExecutionExplanation, ExecutionParams,
  HoldBody, KeepResult, SweepReport,
} from '../schemas/index.ts';
import { artifactView } from './artifacts.ts';
import { z } from 'zod';
import { parseDuration } from '../../policy/duration.ts';
import { InvalidRequestError } from '../../errors/index.ts';
import { RetentionDueQuery } from '../schemas/index.ts';

/** Why was it kept, legal holds, keeping cached artifacts, the WAL's integrity, erasure, and (admin) the retention sweep. */
export const governanceRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/executions/:id/explain',
    operationId: 'explainExecution',
    summary: "Each artifact's recorded decision, inputs and every layer's verdict under the policy that decided",
    tag: 'governance',
    access: 'tenant',
    params: ExecutionParams,
    responses: { 200: { description: 'the explanation', schema: ExecutionExplanation }, 404: { description: 'no such execution for this tenant' } },
    handler: ({ params, caller }) => ctx.runtime.explainExecution(params.id, { tenantId: tenantOf(caller) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/artifacts/:id/hold',
    operationId: 'holdArtifact',
    summary: 'Place a legal hold: retention, retroactive policy and erasure leave the artifact alone until released',
    tag: 'governance',
    access: 'tenant',
    params: ArtifactParams,
    body: HoldBody,
    responses: {
      200: { description: 'held', schema: ArtifactView },
      404: { description: 'no such artifact for this tenant' },
      409: { description: 'the artifact was deleted already' },
    },
    handler: async ({ params, body, caller }) => artifactView(await ctx.runtime.holdArtifact(params.id, { tenantId: tenantOf(caller) }, body.reason)),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/artifacts/:id/hold',
    operationId: 'releaseArtifact',
    summary: 'Release a legal hold',
    tag: 'governance',
    access: 'tenant',
    params: ArtifactParams,
    responses: {
      200: { description: 'released', schema: ArtifactView },
      404: { description: 'no such artifact for this tenant' },
      409: { description: 'it has no legal hold' },
    },
    handler: async ({ params, caller }) => artifactView(await ctx.runtime.releaseArtifact(params.id, { tenantId: tenantOf(caller) })),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/cache-entries/:cacheId/keep',
    operationId: 'keepCached',
    summary: "Ask for a cached artifact to be persisted: the policy's promote permission decides; recorded either way",
    tag: 'governance',
    access: 'tenant',
    params: CacheEntryParams,
    responses: {
      200: { description: 'the decision (kept or not, and why)', schema: KeepResult },
      404: { description: 'not cached (expired, or not this tenant\'s)' },
    },
    handler: ({ params, caller }) => ctx.runtime.keepCached(params.cacheId, { tenantId: tenantOf(caller) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/wal/verify',
    operationId: 'verifyWal',
    summary: "Check this tenant's hash-chained WAL: OK, or the first altered, missing or reordered record",
    tag: 'governance',
    access: 'tenant',
    responses: { 200: { description: 'the report (ok: false names the record)', schema: z.object({ chains: z.array(ChainReport) }) } },
    handler: async ({ caller }) => ({ chains: await ctx.runtime.verifyWal({ tenantId: tenantOf(caller) }) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/retention/due',
    operationId: 'listRetentionDue',
    summary: 'Artifacts whose retention ends soon (within `within`, default 7 days, by the database clock), soonest first; held ones included',
    tag: 'governance',
    access: 'tenant',
    query: RetentionDueQuery(ctx.limits.pageSize),
    responses: { 200: { description: 'the artifacts', schema: z.object({ items: z.array(ArtifactView) }) }, 400: { description: 'a bad duration or limit' } },
    async handler({ query, caller }) {
      let withinSeconds = 7 * 86_400;
      if (query.within !== undefined) {
        try {
          withinSeconds = parseDuration(query.within);
        } catch (err) {
          const message = (err as Error).message;
          throw new InvalidRequestError(`query parameter 'within': ${message}`, [{ in: 'query', path: 'within', message }]);
        }
      }
      const items = await ctx.runtime.listRetentionDue({ tenantId: tenantOf(caller) }, { withinSeconds, limit: query.limit ?? 100 });
      return { items: items.map(artifactView) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/erasures',
    operationId: 'erase',
    summary: "Erase this tenant's data (or a session's, or a subject's) everywhere it is kept; returns the erasure record",
    tag: 'governance',
    access: 'tenant',
    body: ErasureBody,
    responses: { 200: { description: 'what was removed (counts and ids); held artifacts reported', schema: ErasureReport } },
    handler: ({ body, caller }) =>
      ctx.runtime.erase({ tenantId: tenantOf(caller), ...(body.sessionId ? { sessionId: body.sessionId } : {}), ...(body.subject ? { subject: body.subject } : {}) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/admin/sweep',
    operationId: 'sweep',
    summary: 'Run a retention sweep now (serve runs one every 5 minutes)',
    tag: 'admin',
    access: 'admin',
    responses: { 200: { description: 'what the sweep did', schema: SweepReport } },
    handler: () => ctx.runtime.sweep(),
  }),
];

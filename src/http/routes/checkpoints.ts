import type { CheckpointDecisionExplanation } from '../../checkpoints/checkpoint-governance.ts';
import type { CheckpointSummary, CheckpointThread } from '../../checkpoints/checkpoint-listing.ts';
import { NotFoundError } from '../../errors/index.ts';
import { tenantOf } from '../auth.ts';
import { fetchPage } from '../cursor.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import {
  CheckpointExplainQuery, CheckpointExplanation, CheckpointParams, HoldBody, ThreadCheckpointsPage, ThreadCheckpointsQuery, ThreadHoldView,
  ThreadParams,
} from '../schemas/index.ts';

const DEFAULT_PAGE = 100;

/** The API's view of a stored checkpoint: its place in the thread and the decision grouped; never its content. */
function checkpointView(c: CheckpointSummary) {
  return {
    threadId: c.threadId,
    checkpointNs: c.checkpointNs,
    checkpointId: c.checkpointId,
    parentCheckpointId: c.parentCheckpointId,
    createdAt: c.createdAt,
    decision: { decision: c.decision, layer: c.layer, reason: c.reason, policyVersion: c.policyVersion },
    retainUntil: c.retainUntil,
    expiresAt: c.expiresAt,
  };
}

/** The documented fields of an explanation (a WAL payload may carry more). */
function explanationView(e: CheckpointDecisionExplanation) {
  const r = e.recorded;
  return {
    threadId: e.threadId, checkpointNs: e.checkpointNs, checkpointId: e.checkpointId,
    recorded: {
      decision: r.decision, layer: r.layer, reason: r.reason, policyVersion: r.policyVersion,
      ...(r.ruleId === undefined ? {} : { ruleId: r.ruleId }),
      ...(r.config === undefined ? {} : { config: r.config }),
      ...(r.ttlSeconds === undefined ? {} : { ttlSeconds: r.ttlSeconds }),
      ...(r.retentionSeconds === undefined ? {} : { retentionSeconds: r.retentionSeconds }),
      ...(r.keepLatest === undefined ? {} : { keepLatest: r.keepLatest }),
      ...(r.trace === undefined ? {} : { trace: r.trace }),
      recordedAt: r.recordedAt, seq: r.seq, pruned: r.pruned,
    },
    inputs: e.inputs,
    chain: e.chain,
    ...(e.note === undefined ? {} : { note: e.note }),
  };
}

const noThread = (threadId: string) => new NotFoundError('thread', threadId, 'this tenant has no checkpoints, writes or legal hold for it');

/**
 * LangGraph threads of the caller's tenant, governed like artifacts: their
 * checkpoints' decisions, each decision's explanation, legal holds. A
 * thread id is the tenant's own: another tenant's thread of the same id is
 * not found.
 */
export const checkpointRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/checkpoints/threads/:threadId',
    operationId: 'listThreadCheckpoints',
    summary: "A LangGraph thread's checkpoints, newest first, in pages: each one's recorded decision, and the thread's legal hold; never their content",
    tag: 'checkpoints',
    access: 'tenant',
    params: ThreadParams,
    query: ThreadCheckpointsQuery(ctx.limits.pageSize),
    responses: {
      200: { description: 'a page of the thread\'s checkpoints', schema: ThreadCheckpointsPage },
      400: { description: 'a bad thread id, limit or cursor' },
      404: { description: 'no such thread for this tenant' },
    },
    async handler({ params, query, caller }) {
      const checkpoints = ctx.runtime.checkpoints(tenantOf(caller));
      const found: { legalHold: CheckpointThread['legalHold'] } = { legalHold: null };
      const p = await fetchPage(
        query,
        Math.min(DEFAULT_PAGE, ctx.limits.pageSize),
        async (limit, before) => {
          const thread = await checkpoints.thread(params.threadId, { limit, ...(before ? { before } : {}) });
          if (!thread) throw noThread(params.threadId);
          found.legalHold = thread.legalHold;
          return thread.checkpoints;
        },
        (c) => ({ at: c.createdAt, id: c.checkpointId }),
      );
      return { threadId: params.threadId, legalHold: found.legalHold, items: p.items.map(checkpointView), nextCursor: p.nextCursor };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/checkpoints/threads/:threadId/:checkpointId/explain',
    operationId: 'explainCheckpoint',
    summary: "A checkpoint's recorded decision, inputs and every layer's verdict under the policy that decided (discarded checkpoints too)",
    tag: 'checkpoints',
    access: 'tenant',
    params: CheckpointParams,
    query: CheckpointExplainQuery,
    responses: {
      200: { description: 'the explanation', schema: CheckpointExplanation },
      404: { description: 'no decision is recorded for this checkpoint of this tenant\'s thread' },
    },
    handler: async ({ params, query, caller }) =>
      explanationView(await ctx.runtime.checkpoints(tenantOf(caller)).explain(params.threadId, params.checkpointId, query.ns ?? '')),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/checkpoints/threads/:threadId/hold',
    operationId: 'holdThread',
    summary: 'Place a legal hold on a LangGraph thread: keep_latest, the sweep, erasure and deleteThread leave it alone until released; on a held thread, replaces the reason',
    tag: 'checkpoints',
    access: 'tenant',
    params: ThreadParams,
    body: HoldBody,
    responses: {
      200: { description: 'held', schema: ThreadHoldView },
      404: { description: 'no such thread for this tenant' },
    },
    async handler({ params, body, caller }) {
      const checkpoints = ctx.runtime.checkpoints(tenantOf(caller));
      if (!(await checkpoints.hasThread(params.threadId))) throw noThread(params.threadId);
      const held = await checkpoints.hold(params.threadId, body.reason);
      return { threadId: held.threadId, legalHold: { reason: held.reason, since: held.since } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/checkpoints/threads/:threadId/hold',
    operationId: 'releaseThread',
    summary: "Release a LangGraph thread's legal hold",
    tag: 'checkpoints',
    access: 'tenant',
    params: ThreadParams,
    responses: {
      200: { description: 'released', schema: ThreadHoldView },
      404: { description: 'no such thread for this tenant' },
      409: { description: 'it has no legal hold' },
    },
    async handler({ params, caller }) {
      const checkpoints = ctx.runtime.checkpoints(tenantOf(caller));
      if (!(await checkpoints.hasThread(params.threadId))) throw noThread(params.threadId);
      await checkpoints.release(params.threadId);
      return { threadId: params.threadId, legalHold: null };
    },
  }),
];

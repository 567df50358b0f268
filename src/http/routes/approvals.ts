import { z } from 'zod';
import { tenantOf, type Caller } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Id, Problem } from '../schemas/index.ts';

/** A name in a path: a signal's or an approval's (as the handler's `ctx.waitFor` / `ctx.approval` named it). */
const NamedParams = z.strictObject({ id: Id, name: z.string().min(1).max(200) });

const ApprovalDecisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: z.string().max(2000).optional(),
});
const SignalBody = z.strictObject({ data: z.unknown().optional() }).optional();

const ApprovalResult = z.object({
  approved: z.boolean(), decision: z.enum(['approved', 'rejected', 'timed_out']), by: z.string().nullable(), reason: z.string().nullable(), at: z.string(),
});
const WaitingApproval = z.object({
  executionId: z.string(), tenantId: z.string(), intentType: z.string(), name: z.string(), summary: z.string().nullable(),
  timesOutAt: z.string().nullable(), onTimeout: z.string(), waitingSince: z.string(),
});

/** Who decided or signalled: the tenant key's id (recorded in the WAL). */
const byOf = (caller: Caller) => (caller.kind === 'tenant' ? `api-key:${caller.keyId}` : caller.kind);

/** Approvals and signals for executions waiting in `ctx.approval` / `ctx.waitFor`, and the tenant's approvals inbox. */
export const approvalRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'POST',
    url: '/v1/executions/:id/approvals/:name',
    operationId: 'decideApproval',
    summary: "Approve or reject an execution's approval (a governance_decision WAL record naming the key, the time and the reason)",
    tag: 'approvals',
    access: 'tenant',
    params: NamedParams,
    body: ApprovalDecisionBody,
    responses: {
      200: { description: 'the decision; the execution resumes on any worker', schema: ApprovalResult },
      404: { description: 'no such execution for this tenant', schema: Problem },
      409: { description: 'already decided, or the execution has finished', schema: Problem },
    },
    handler: ({ params, body, caller }) =>
      ctx.runtime.decideApproval(params.id, params.name, { tenantId: tenantOf(caller) }, {
        decision: body.decision, by: byOf(caller), reason: body.reason ?? null,
      }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/executions/:id/signals/:name',
    operationId: 'signalExecution',
    summary: 'Send a signal (JSON `data`) to an execution, for its ctx.waitFor; kept until a wait consumes it',
    tag: 'approvals',
    access: 'tenant',
    params: NamedParams,
    body: SignalBody,
    responses: {
      200: { description: 'the signal, and whether a waiting execution was resumed', schema: z.object({ signalId: z.string(), sentAt: z.string(), resumed: z.boolean() }) },
      404: { description: 'no such execution for this tenant', schema: Problem },
      409: { description: 'the execution has finished', schema: Problem },
    },
    handler: ({ params, body, caller }) =>
      ctx.runtime.signalExecution(params.id, params.name, { tenantId: tenantOf(caller) }, { data: body?.data ?? null, sentBy: byOf(caller) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/approvals',
    operationId: 'listApprovals',
    summary: "The tenant's approvals inbox: approvals its executions wait for, oldest first",
    tag: 'approvals',
    access: 'tenant',
    responses: { 200: { description: 'waiting approvals', schema: z.object({ items: z.array(WaitingApproval) }) } },
    handler: async ({ caller }) => ({ items: await ctx.runtime.listApprovals({ tenantId: tenantOf(caller) }) }),
  }),
];

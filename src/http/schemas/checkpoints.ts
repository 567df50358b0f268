import { z } from 'zod';
import { Decision, Id, Json, Layer, pageQuery, StorableText, Timestamp } from './common.ts';
import { Verdict } from './governance.ts';

/** `/v1/checkpoints/threads`: a tenant's LangGraph threads — their checkpoints' decisions, explanations and legal holds; never their content. */

export const ThreadParams = z.strictObject({ threadId: Id.describe('the LangGraph thread id (configurable.thread_id)') });
export const CheckpointParams = z.strictObject({
  threadId: Id.describe('the LangGraph thread id (configurable.thread_id)'),
  checkpointId: Id.describe("the checkpoint's id (LangGraph's uuid6)"),
});
export const ThreadCheckpointsQuery = (pageSize: number) => z.strictObject(pageQuery(pageSize));
export const CheckpointExplainQuery = z.strictObject({
  ns: StorableText.max(1000).optional().describe("the checkpoint's namespace (a subgraph's path); absent or empty: the root graph"),
});

const LegalHold = z.object({ reason: z.string(), since: Timestamp }).nullable();

export const CheckpointView = z.object({
  threadId: z.string(),
  checkpointNs: z.string().describe("'' for the root graph, a subgraph's path otherwise"),
  checkpointId: z.string(),
  parentCheckpointId: z.string().nullable(),
  createdAt: Timestamp,
  decision: z.object({
    decision: Decision, layer: Layer.nullable(), reason: z.string().nullable(), policyVersion: z.string().nullable(),
  }).describe('the recorded decision (layer, reason and policy version null only if its WAL record is missing)'),
  retainUntil: Timestamp.nullable().describe('persist with retention: when the sweep may delete it; null: kept until deleted'),
  expiresAt: Timestamp.nullable().describe('cache: when it becomes unreadable; null otherwise'),
});

export const ThreadCheckpointsPage = z.object({
  threadId: z.string(),
  legalHold: LegalHold.describe('set while the thread is held: nothing of it is pruned, swept, erased or deleted'),
  items: z.array(CheckpointView),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null at the end'),
});

export const ThreadHoldView = z.object({ threadId: z.string(), legalHold: LegalHold });

export const CheckpointExplanation = z.object({
  threadId: z.string(),
  checkpointNs: z.string(),
  checkpointId: z.string(),
  recorded: z.object({
    decision: Decision, layer: Layer, reason: z.string(), policyVersion: z.string(), ruleId: z.string().optional(), config: z.string().optional(),
    ttlSeconds: z.number().optional(), retentionSeconds: z.number().optional(), keepLatest: z.number().int().optional(),
    trace: z.literal('include').optional(), recordedAt: Timestamp, seq: z.number().int(), pruned: z.number().int().describe('older checkpoints of the thread keep_latest pruned when this one was stored'),
  }),
  inputs: Json,
  chain: z.array(Verdict).nullable().describe("every layer's verdict under the policy version that decided; null when that version is not stored"),
  note: z.string().optional(),
});

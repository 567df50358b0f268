import { z } from 'zod';
import { ExecutionStatus } from '../../store/state-surface.ts';
import { Decision, ErrorInfo, Id, IntentType, Json, Layer, Timestamp } from './common.ts';
import { Event } from './events.ts';

/** `POST /v1/intents`: the intent, its mode and Idempotency-Key; the result of a sync run, or the queued execution. */

export const IntentBody = z.strictObject({
  intentType: IntentType,
  sessionId: Id,
  parameters: Json.optional().describe('validated against the intent type\'s schema'),
  intentId: Id.optional().describe('your id for this intent; a repeat returns the first execution'),
  createdAt: Timestamp.optional(),
  timeoutMs: z.number().int().positive().max(3_600_000).optional().describe('handler timeout for this execution'),
  solutionId: Id.optional().describe("the solution the intent comes from: picks its solution config (the platform policy's solutions)"),
});

export const IntentQuery = z.strictObject({
  mode: z.enum(['sync', 'async']).optional().describe('sync (default): run and answer with the result; async: queue it, answer 202'),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': Id.optional().describe('same key from the same tenant: the first execution\'s result, never a second run'),
  traceparent: z.string().max(512).optional()
    .describe("W3C Trace Context: the execution's spans join this trace (a queued one's worker continues it); a malformed value is ignored, as the standard says"),
});

export const ArtifactOutcome = z.object({
  key: z.string(),
  resultType: z.string(),
  decision: Decision,
  layer: Layer,
  reason: z.string(),
  policyVersion: z.string(),
  ruleId: z.string().optional(),
  semanticPayload: Json.nullable(),
  renderings: z.array(z.string()),
  sizeBytes: z.number().int(),
  artifactId: z.string().optional(),
  storagePath: z.string().optional(),
  cacheId: z.string().optional(),
  expiresAt: Timestamp.optional(),
  stored: z.boolean().optional(),
  storageError: z.string().optional(),
});

export const ExecutionResult = z.object({
  executionId: z.string(),
  intentId: z.string(),
  intentType: z.string(),
  tenantId: z.string(),
  sessionId: z.string(),
  status: z.enum(['completed', 'failed', 'dead', 'waiting']),
  error: ErrorInfo.optional(),
  policyVersion: z.string(),
  artifacts: z.array(ArtifactOutcome),
  events: z.array(Event),
});

export const Submitted = z.object({
  executionId: z.string(),
  intentId: z.string(),
  tenantId: z.string(),
  status: z.enum(Object.values(ExecutionStatus) as [string, ...string[]]),
  duplicate: z.boolean(),
});

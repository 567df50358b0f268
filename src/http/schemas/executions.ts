import { z } from 'zod';
import { ExecutionStatus } from '../../store/state-surface.ts';
import { ErrorInfo, Id, IntentType, Json, pageQuery, Timestamp } from './common.ts';

/** `/v1/executions`: one, a filtered page, and its journey through the WAL. */

export const ExecutionParams = z.strictObject({ id: Id });

export const ExecutionListQuery = (pageSize: number) =>
  z.strictObject({
    status: z.enum(Object.values(ExecutionStatus) as [string, ...string[]]).optional(),
    intentType: IntentType.optional(),
    sessionId: Id.optional(),
    ...pageQuery(pageSize),
  });

export const Execution = z.object({
  executionId: z.string(),
  intentId: z.string(),
  tenantId: z.string(),
  sessionId: z.string(),
  intentType: z.string(),
  realm: z.string(),
  status: z.enum(Object.values(ExecutionStatus) as [string, ...string[]]),
  parameters: Json,
  state: Json.describe('platform memory: semantic payloads and artifact references'),
  result: z.unknown(),
  error: ErrorInfo.nullable(),
  policyVersion: z.string(),
  intentCreatedAt: Timestamp,
  submittedAt: Timestamp.nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  attempts: z.number().int(),
  solutionId: z.string().nullable(),
  availableAt: Timestamp.nullable().describe('a queued retry is not claimed before this'),
  traceId: z.string().nullable().describe("the W3C trace id (32 hex digits) of the trace its spans joined: the caller's traceparent, else a new trace; null outside any trace"),
});

export const WalRecord = z.object({
  seq: z.number().int(),
  tenantId: z.string(),
  executionId: z.string().nullable(),
  intentId: z.string().nullable(),
  recordType: z.string(),
  payload: Json,
  recordedAt: Timestamp,
});

export const Journey = z.object({ executionId: z.string(), records: z.array(WalRecord) });

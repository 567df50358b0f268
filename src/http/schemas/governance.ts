import { z } from 'zod';
import { PARAM_KEY } from '../../erasure/erase.ts';
import { Decision, Id, Json, Layer, QueryInt, StorableText, Timestamp } from './common.ts';

/** Legal holds, keeping cached artifacts, the WAL's integrity, erasure and the retention sweep. */

/** `?within=7d` (a duration, up to 100 years; default 7 days) and `?limit=`. */
export const RetentionDueQuery = (pageSize: number) =>
  z.strictObject({
    within: z.string().min(1).max(32).optional().describe('a duration (`30m`, `7d`; default `7d`): retention ending within it from now'),
    limit: QueryInt(pageSize).optional(),
  });

export const HoldBody = z.strictObject({ reason: StorableText.trim().min(1).max(500).describe('why, recorded in the WAL (e.g. a case number)') });
export const CacheEntryParams = z.strictObject({ cacheId: z.string().regex(/^cache_[0-9a-f-]{36}$/, 'is not a cache entry id') });
export const ErasureBody = z.strictObject({
  sessionId: Id.optional().describe('only this session'),
  subject: z.strictObject({ key: z.string().regex(PARAM_KEY, 'must be a parameter name'), value: z.string().min(1).max(1000) }).optional()
    .describe('only executions whose intent parameter `key` equals `value`'),
});

export const Verdict = z.object({
  layer: Layer, decision: Decision.nullable(), said: z.string(), ruleId: z.string().optional(), config: z.string().optional(), ttlSeconds: z.number().optional(),
  trace: z.literal('include').optional().describe("the verdict lets the type's content into traces"),
});
export const ExecutionExplanation = z.object({
  executionId: z.string(),
  /** Decisions on its approvals (ctx.approval): who, when, why; `by` null when the timeout decided. */
  approvals: z.array(z.object({
    approval: z.string(), decision: z.enum(['approved', 'rejected', 'timed_out']), by: z.string().nullable(), reason: z.string().nullable(),
    at: z.string(), seq: z.number().int(),
  })),
  artifacts: z.array(z.object({
    artifactKey: z.string(),
    resultType: z.string(),
    recorded: z.object({
      decision: Decision, layer: Layer, reason: z.string(), policyVersion: z.string(), ruleId: z.string().optional(), config: z.string().optional(),
      ttlSeconds: z.number().optional(), retentionSeconds: z.number().optional(), recordedAt: Timestamp, seq: z.number().int(),
    }),
    inputs: Json.nullable().describe('the inputs that mattered; null once an erasure removed them'),
    chain: z.array(Verdict).nullable(),
    note: z.string().optional(),
  })),
  budgets: z.array(z.object({
    ruleId: z.string(), decision: z.literal('fail'), scope: z.enum(['execution', 'tenant_day']), limit: z.enum(['max_tokens', 'max_cost_usd']),
    max: z.number(), used: z.number(), when: z.string(), reason: z.string(), recordedAt: Timestamp, seq: z.number().int(),
  })).describe('budgets of the platform policy that stopped the execution (SYM_ERR_BUDGET)'),
});
export const KeepResult = z.object({
  cacheId: z.string(), kept: z.boolean(), layer: Layer, reason: z.string(), policyVersion: z.string(), artifactId: z.string().optional(),
});
export const ChainReport = z.object({
  tenantId: z.string(), ok: z.boolean(), records: z.number().int(), unchained: z.number().int(), headSha256: z.string().nullable(),
  problem: z.object({ seq: z.number().int().nullable(), kind: z.string(), message: z.string() }).optional(),
});
export const ErasureReport = z.object({
  erasureId: z.string(),
  at: Timestamp,
  scope: z.object({ tenantId: z.string(), sessionId: z.string().optional(), subject: z.object({ key: z.string(), valueHmac: z.string().optional() }).optional() }),
  executions: z.array(z.string()),
  unfinished: z.array(z.string()),
  keys: z.object({ destroyed: z.array(z.string()), kept: z.string().optional(), fallback: z.string().optional(), off: z.literal(true).optional() }),
  artifactsDeleted: z.array(z.string()),
  held: z.array(z.object({ artifactId: z.string(), reason: z.string() })),
  cacheEntriesRemoved: z.number().int(),
  walRecordsRedacted: z.number().int(),
  outboxEventsRedacted: z.number().int(),
  blobFailures: z.array(z.object({ artifactId: z.string(), message: z.string() })),
  checkpoints: z.object({
    threadsErased: z.array(z.string()),
    threadsHeld: z.array(z.string()).describe('threads in scope a legal hold kept'),
    checkpointsDeleted: z.number().int(),
    writesDeleted: z.number().int(),
  }).describe('LangGraph checkpoints of the scope (the session is the thread id)'),
  traceIdsWithContent: z.array(z.string())
    .describe("trace ids whose spans carried content of the erased executions (a policy's trace: include): the runtime cannot delete spans from a tracing backend, so purge these there"),
});
export const SweepReport = z.object({
  at: Timestamp,
  deleted: z.array(z.object({ artifactId: z.string(), tenantId: z.string() })),
  held: z.array(z.object({ artifactId: z.string(), tenantId: z.string(), reason: z.string() })),
  cacheEntriesExpired: z.number().int(),
  failures: z.array(z.object({ artifactId: z.string(), message: z.string() })),
  checkpoints: z.object({
    checkpointsDeleted: z.number().int().describe('LangGraph checkpoints whose retention ended or cache TTL passed'),
    writesDeleted: z.number().int(),
    heldThreads: z.array(z.object({ tenantId: z.string(), threadId: z.string() })).describe('threads a legal hold kept'),
  }),
  garbage: z.object({
    supported: z.boolean().describe('false when the blob store cannot list its files (nothing was collected)'),
    graceSeconds: z.number().describe('files younger than this were spared'),
    scanned: z.number().int(),
    blobsRemoved: z.number().int().describe('renderings no index row references'),
    manifestsRemoved: z.number().int().describe('manifests of artifacts with no index row'),
    tempFilesRemoved: z.number().int().describe('temporary and staged files of interrupted writes'),
    keptYoung: z.number().int(),
    failures: z.array(z.object({ key: z.string(), message: z.string() })),
  }).describe('crash leftovers removed from the blob store'),
});

import { z } from 'zod';
import { PARAM_KEY } from '../erasure/erase.ts';
import { INTENT_TYPE, SAFE_ID } from '../intent/intent.ts';
import { MATERIALIZATION_DECISIONS, POLICY_LAYERS } from '../policy/decision.ts';
import { namingProblem } from '../realm/rendering-name.ts';
import { ExecutionStatus } from '../store/state-surface.ts';

/**
 * The HTTP API's request and response schemas. The same zod objects
 * validate requests (route.ts) and generate the OpenAPI document
 * (openapi.ts), so the two cannot drift apart.
 */

export const Id = z.string().regex(SAFE_ID, 'must be 1-128 letters, digits or . _ - : @ (not starting with a dot)');
const IntentType = z.string().regex(INTENT_TYPE, "must be of the form '<realm>.<intent>'").max(200);
const Timestamp = z.string().describe('ISO-8601 timestamp');
const Decision = z.enum(MATERIALIZATION_DECISIONS as [string, ...string[]]);
const Layer = z.enum(POLICY_LAYERS as [string, ...string[]]);
const Json = z.record(z.string(), z.unknown());

/** A whole number in a query string. */
const QueryInt = (max: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n <= max, `must be at most ${max}`);
const Cursor = z.string().max(512).describe('opaque: the nextCursor of the previous page');

// ---- requests -------------------------------------------------------------

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
});

export const ExecutionParams = z.strictObject({ id: Id });
export const ArtifactParams = z.strictObject({ id: Id });
/** The rendering name (URL-decoded) follows the naming rule it was written under (src/realm/rendering-name.ts). */
export const RenderingParams = z.strictObject({
  id: Id,
  rendering: z.string().superRefine((name, c) => {
    const problem = namingProblem(name);
    if (problem) c.addIssue({ code: 'custom', message: `is not a rendering name: it ${problem}` });
  }),
});
export const SessionParams = z.strictObject({ sessionId: Id });
export const TenantParams = z.strictObject({ tenantId: Id });
export const KeyParams = z.strictObject({ keyId: z.string().regex(/^[a-f0-9]{16}$/, 'is not a key id') });

export const pageQuery = (pageSize: number) => ({ limit: QueryInt(pageSize).optional(), cursor: Cursor.optional() });

export const ExecutionListQuery = (pageSize: number) =>
  z.strictObject({
    status: z.enum(Object.values(ExecutionStatus) as [string, ...string[]]).optional(),
    intentType: IntentType.optional(),
    sessionId: Id.optional(),
    ...pageQuery(pageSize),
  });

export const ArtifactListQuery = (pageSize: number) =>
  z.strictObject({
    resultType: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a result type').optional(),
    executionId: Id.optional(),
    sessionId: Id.optional(),
    ...pageQuery(pageSize),
  });

export const ExplainBody = z.strictObject({
  resultType: z.string().min(1).max(64),
  intentType: IntentType.optional(),
  realm: z.string().min(1).max(64).optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
  solutionId: z.string().min(1).max(128).optional().describe("the intent's solution: its config decides when the platform policy attaches one"),
});

export const EventsHeaders = z.object({
  'last-event-id': Id.optional().describe('resume after this event (sent by SSE clients on reconnect)'),
});

export const CreateTenantBody = z.strictObject({ tenantId: Id });

// ---- responses ------------------------------------------------------------

const ErrorInfo = z.object({ code: z.string(), message: z.string() });

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

export const Event = z.object({
  eventId: z.string(),
  eventType: z.string(),
  source: z.enum(['realm', 'runtime']),
  tenantId: z.string(),
  sessionId: z.string(),
  executionId: z.string().nullable(),
  payload: z.unknown(),
  createdAt: Timestamp,
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
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null at the end') });

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

const Lineage = z.object({
  tenantId: z.string(),
  sessionId: z.string(),
  intentId: z.string(),
  intentType: z.string(),
  executionId: z.string(),
  realm: z.string(),
  inputArtifactIds: z.array(z.string()),
});

export const ArtifactView = z.object({
  artifactId: z.string(),
  tenantId: z.string(),
  sessionId: z.string(),
  executionId: z.string(),
  artifactKey: z.string(),
  resultType: z.string(),
  sizeBytes: z.number().int(),
  createdAt: Timestamp,
  decision: z.object({ decision: Decision, layer: Layer, reason: z.string(), policyVersion: z.string() }),
  lineage: Lineage,
  retainUntil: Timestamp.nullable().describe('when retention lets the sweeper delete its renderings; null: kept until deleted'),
  legalHold: z.object({ reason: z.string(), since: Timestamp }).nullable(),
  deleted: z.object({ at: Timestamp, reason: z.string() }).nullable().describe('set once its renderings were deleted (a tombstone)'),
  renderings: z.array(
    z.object({
      name: z.string(),
      contentType: z.string(),
      sizeBytes: z.number().int(),
      sha256: z.string(),
      href: z.string().describe('where to GET its bytes'),
    }),
  ),
});

export const CachedView = z.object({
  sessionId: z.string(),
  entries: z.array(
    z.object({
      cacheId: z.string(),
      executionId: z.string(),
      artifactKey: z.string(),
      resultType: z.string(),
      createdAt: Timestamp,
      expiresAt: Timestamp,
      decision: z.object({ layer: Layer, reason: z.string(), policyVersion: z.string(), ttlSeconds: z.number() }),
      lineage: Lineage,
      renderings: z.array(
        z.object({
          name: z.string(),
          contentType: z.string(),
          sizeBytes: z.number().int(),
          text: z.string().optional().describe('for text, JSON and SVG renderings'),
          base64: z.string().optional().describe('for other renderings'),
        }),
      ),
    }),
  ),
});

export const Explanation = z.object({
  input: z.object({
    resultType: z.string(),
    tenantId: z.string().optional(),
    intentType: z.string().optional(),
    realm: z.string().optional(),
    sizeBytes: z.number().optional(),
    tags: z.array(z.string()).optional(),
  }),
  result: z.object({
    decision: Decision,
    layer: Layer,
    reason: z.string(),
    policyVersion: z.string(),
    ttlSeconds: z.number().optional(),
    ruleId: z.string().optional(),
    config: z.string().optional().describe('which config layer decided: tenant:ID, solution:ID or runtime'),
  }),
  chain: z.array(
    z.object({
      layer: Layer,
      decision: Decision.nullable(),
      said: z.string(),
      ruleId: z.string().optional(),
      config: z.string().optional(),
      ttlSeconds: z.number().optional(),
    }),
  ),
});

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({ status: z.literal('ready'), store: z.string() });

export const IssuedKey = z.object({
  tenantId: z.string(),
  keyId: z.string(),
  apiKey: z.string().describe('shown once; only its hash is stored'),
});
export const Tenant = z.object({ tenantId: z.string(), createdAt: Timestamp, activeKeys: z.number().int() });
export const ApiKey = z.object({ keyId: z.string(), tenantId: z.string(), createdAt: Timestamp, revokedAt: Timestamp.nullable() });

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  code: z.string().describe('the runtime error code (docs/errors.md)'),
  errors: z
    .array(z.object({ in: z.enum(['body', 'query', 'path', 'header']), field: z.string(), message: z.string() }))
    .optional()
    .describe('each offending field'),
});

// ---- governance -------------------------------------------------------------

export const HoldBody = z.strictObject({ reason: z.string().trim().min(1).max(500).describe('why, recorded in the WAL (e.g. a case number)') });
export const CacheEntryParams = z.strictObject({ cacheId: z.string().regex(/^cache_[0-9a-f-]{36}$/, 'is not a cache entry id') });
export const ErasureBody = z.strictObject({
  sessionId: Id.optional().describe('only this session'),
  subject: z.strictObject({ key: z.string().regex(PARAM_KEY, 'must be a parameter name'), value: z.string().min(1).max(1000) }).optional()
    .describe('only executions whose intent parameter `key` equals `value`'),
});

const Verdict = z.object({ layer: Layer, decision: Decision.nullable(), said: z.string(), ruleId: z.string().optional(), config: z.string().optional(), ttlSeconds: z.number().optional() });
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
    inputs: Json,
    chain: z.array(Verdict).nullable(),
    note: z.string().optional(),
  })),
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
  scope: z.object({ tenantId: z.string(), sessionId: z.string().optional(), subject: z.object({ key: z.string(), valueSha256: z.string() }).optional() }),
  executions: z.array(z.string()),
  unfinished: z.array(z.string()),
  artifactsDeleted: z.array(z.string()),
  held: z.array(z.object({ artifactId: z.string(), reason: z.string() })),
  cacheEntriesRemoved: z.number().int(),
  walRecordsRedacted: z.number().int(),
  outboxEventsRedacted: z.number().int(),
  blobFailures: z.array(z.object({ artifactId: z.string(), message: z.string() })),
});
export const SweepReport = z.object({
  at: Timestamp,
  deleted: z.array(z.object({ artifactId: z.string(), tenantId: z.string() })),
  held: z.array(z.object({ artifactId: z.string(), tenantId: z.string(), reason: z.string() })),
  cacheEntriesExpired: z.number().int(),
  failures: z.array(z.object({ artifactId: z.string(), message: z.string() })),
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

// ---- policy changes (admin) ---------------------------------------------------

const Candidate = {
  solution: Json.optional().describe('the candidate solution config, in the YAML file\'s shape (name, cache_ttl, materialization_policy)'),
  platform: Json.optional().describe('the candidate platform policy (governance, bounds), in the YAML file\'s shape'),
};
export const PolicyDiffBody = z.strictObject({
  ...Candidate,
  since: z.string().regex(/^\d+[smhd]?$/, "must be a duration such as 7d or 12h").optional().describe('only decisions recorded in this window'),
  tenantId: Id.optional().describe('only this tenant'),
});
export const PolicyApplyBody = z.strictObject({
  ...Candidate,
  retroactive: z.boolean().optional().describe('also re-apply it to stored artifacts (discarded ones deleted, tombstones kept, holds win)'),
});
export const PolicyDiff = z.object({
  candidateVersion: z.string(),
  scanned: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.number().int(),
  moves: z.array(z.object({
    tenantId: z.string(), resultType: z.string(), from: Decision, to: Decision, count: z.number().int(), bytes: z.number().int(),
    examples: z.array(z.object({
      executionId: z.string().nullable(), artifactKey: z.string(), artifactId: z.string().nullable(), recordedAt: Timestamp,
      nowLayer: Layer, nowReason: z.string(), ruleId: z.string().optional(),
    })),
  })),
});
export const ApplyReport = z.object({
  policyVersion: z.string(),
  at: Timestamp,
  retroactive: z.boolean(),
  checked: z.number().int(),
  deleted: z.array(z.string()),
  held: z.array(z.object({ artifactId: z.string(), reason: z.string() })),
  retentionChanged: z.number().int(),
  leftPersisted: z.number().int(),
  skipped: z.number().int(),
  blobFailures: z.array(z.object({ artifactId: z.string(), message: z.string() })),
});

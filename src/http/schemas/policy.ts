import { z } from 'zod';
import { Decision, IntentType, Json, Layer, TenantId, Timestamp } from './common.ts';

/** `/v1/policy/explain` and the operators' `policy diff` / `policy apply`. */

export const ExplainBody = z.strictObject({
  resultType: z.string().min(1).max(64),
  intentType: IntentType.optional(),
  realm: z.string().min(1).max(64).optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
  solutionId: z.string().min(1).max(128).optional().describe("the intent's solution: its config decides when the platform policy attaches one"),
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

const Candidate = {
  solution: Json.optional().describe('the candidate solution config, in the YAML file\'s shape (name, cache_ttl, materialization_policy)'),
  platform: Json.optional().describe('the candidate platform policy (governance, bounds), in the YAML file\'s shape'),
};
export const PolicyDiffBody = z.strictObject({
  ...Candidate,
  since: z.string().regex(/^\d+[smhd]?$/, "must be a duration such as 7d or 12h").optional().describe('only decisions recorded in this window'),
  tenantId: TenantId.optional().describe('only this tenant'),
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

/** `GET /v1/policy`: the effective policy's version and layers (as `symphainy policy show` prints them). */
export const ActivePolicy = z.object({
  tenantId: z.string().describe('the tenant it is in force for: the key\'s (or the one Symphainy-Tenant names)'),
  version: z.string(),
  solutionName: z.string().optional(),
  cacheTtlSeconds: z.number().describe('TTL of `cache` decisions that name none, in seconds'),
  layers: z.object({
    platform: z.object({ persists: z.array(z.string()) }),
    governance: z.array(Json),
    solution: z.object({
      source: z.string(), name: z.string().optional(), cacheTtlSeconds: z.number(), materializationPolicy: z.record(z.string(), Json),
    }).nullable(),
    attached: z.array(Json).optional(),
    default: z.record(z.string(), Decision).describe("the default layer's table (derived types it decides when no other layer does)"),
    fallback: z.object({ decision: Decision }),
  }),
  types: z.array(z.object({
    resultType: z.string(), decision: Decision, layer: Layer, reason: z.string(), ttlSeconds: z.number().optional(), ruleId: z.string().optional(),
    config: z.string().optional(), conditionalRules: z.array(z.string()).describe('governance rules with tenant or intent conditions that may decide otherwise'),
  })).describe('the effective decision for every type some layer names, sorted by type'),
  otherTypes: z.object({
    decision: Decision, layer: Layer, ttlSeconds: z.number().optional(), ruleId: z.string().optional(), config: z.string().optional(),
    conditionalRules: z.array(z.string()),
  }).describe('what happens to a type no layer names'),
});

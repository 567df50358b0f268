import { z } from 'zod';
import { namingProblem } from '../../realm/rendering-name.ts';
import { Decision, Id, Layer, pageQuery, Timestamp } from './common.ts';

/** `/v1/artifacts` and `/v1/cache`: persisted artifacts with their decision and lineage, a session's cached ones. */

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

export const ArtifactListQuery = (pageSize: number) =>
  z.strictObject({
    resultType: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a result type').optional(),
    executionId: Id.optional(),
    sessionId: Id.optional(),
    ...pageQuery(pageSize),
  });

export const Lineage = z.object({
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
      sha256: z.string().describe("the rendering's content address: the sha256 of its bytes with encryption at rest off; with it on (the default) an HMAC-SHA256 under its cover's data keys, so it cannot confirm a guess of the content. The ETag of its content."),
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

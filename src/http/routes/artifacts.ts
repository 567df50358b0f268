import type { ArtifactRecord } from '../../store/artifact-index.ts';
import { tenantOf } from '../auth.ts';
import { fetchPage } from '../cursor.ts';
import { RenderingTooLargeError } from '../../errors/index.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ArtifactListQuery, ArtifactParams, ArtifactView, page, RenderingParams } from '../schemas/index.ts';

const DEFAULT_PAGE = 100;

/** The API's view of an artifact: the decision grouped, blob paths left out, a link per rendering. */
export function artifactView(a: ArtifactRecord) {
  return {
    artifactId: a.artifactId,
    tenantId: a.tenantId,
    sessionId: a.sessionId,
    executionId: a.executionId,
    artifactKey: a.artifactKey,
    resultType: a.resultType,
    sizeBytes: a.sizeBytes,
    createdAt: a.createdAt,
    decision: { decision: a.decision, layer: a.layer, reason: a.reason, policyVersion: a.policyVersion },
    lineage: a.lineage,
    retainUntil: a.retainUntil,
    legalHold: a.legalHold,
    deleted: a.deleted,
    renderings: a.renderings.map((r) => ({
      name: r.name,
      contentType: r.contentType,
      sizeBytes: r.sizeBytes,
      sha256: r.sha256,
      href: `/v1/artifacts/${encodeURIComponent(a.artifactId)}/content/${encodeURIComponent(r.name)}`,
    })),
  };
}

/** Persisted artifacts of the caller's tenant: pages, one with its decision and lineage, a rendering's bytes. */
export const artifactRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/artifacts',
    operationId: 'listArtifacts',
    summary: 'Persisted artifacts, newest first, in pages',
    tag: 'artifacts',
    access: 'tenant',
    query: ArtifactListQuery(ctx.limits.pageSize),
    responses: { 200: { description: 'a page of artifacts', schema: page(ArtifactView) }, 400: { description: 'bad filter or cursor' } },
    async handler({ query, caller }) {
      const p = await fetchPage(
        query,
        Math.min(DEFAULT_PAGE, ctx.limits.pageSize),
        (limit, before) =>
          ctx.runtime.listArtifacts({
            tenantId: tenantOf(caller),
            limit,
            ...(query.resultType ? { resultType: query.resultType } : {}),
            ...(query.executionId ? { executionId: query.executionId } : {}),
            ...(query.sessionId ? { sessionId: query.sessionId } : {}),
            ...(before ? { before } : {}),
          }),
        (a) => ({ at: a.createdAt, id: a.artifactId }),
      );
      return { items: p.items.map(artifactView), nextCursor: p.nextCursor };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/artifacts/:id',
    operationId: 'getArtifact',
    summary: 'One artifact: metadata, lineage, and the decision with its layer and reason',
    tag: 'artifacts',
    access: 'tenant',
    params: ArtifactParams,
    responses: { 200: { description: 'the artifact', schema: ArtifactView }, 404: { description: 'no such artifact for this tenant' } },
    handler: async ({ params, caller }) => artifactView(await ctx.runtime.getArtifact(params.id, { tenantId: tenantOf(caller) })),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/artifacts/:id/content/:rendering',
    operationId: 'getRendering',
    summary: "A rendering's bytes, with its content type; ETag is its sha256",
    tag: 'artifacts',
    access: 'tenant',
    params: RenderingParams,
    responses: {
      200: { description: 'the bytes', contentType: '*/*', headers: { ETag: 'the sha256 of the bytes' } },
      304: { description: 'not modified (If-None-Match matched)' },
      404: { description: 'no such artifact or rendering for this tenant' },
      403: { description: 'the rendering is larger than limits.rendering (SYM_ERR_RENDERING_TOO_LARGE)' },
    },
    async handler({ params, caller, request, reply }) {
      const scope = { tenantId: tenantOf(caller) };
      const artifact = await ctx.runtime.getArtifact(params.id, scope);
      const ref = artifact.renderings.find((r) => r.name === params.rendering);
      if (ref && ref.sizeBytes > ctx.limits.renderingBytes) {
        throw new RenderingTooLargeError(`rendering '${ref.name}' is ${ref.sizeBytes} bytes, over this server's limit of ${ctx.limits.renderingBytes} (limits.rendering)`);
      }
      const etag = ref ? `"${ref.sha256}"` : undefined;
      if (etag && noneMatch(request.headers['if-none-match'], etag)) return reply.code(304).header('etag', etag).send();
      const { bytes, contentType } = await ctx.runtime.readRendering(params.id, params.rendering, scope);
      return reply
        .header('etag', etag!)
        .header('cache-control', 'private, max-age=0, must-revalidate')
        .header('x-content-type-options', 'nosniff')
        // Realm-produced HTML or SVG must not run script in the API's origin.
        .header('content-security-policy', "sandbox; default-src 'none'")
        .type(contentType)
        .send(Buffer.from(bytes));
    },
  }),
];

/** If-None-Match (RFC 9110 13.1.2) holds this ETag: `*`, or a list of tags compared weakly (`W/"x"` matches `"x"`). */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

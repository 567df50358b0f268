import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { CachedView, SessionParams } from '../schemas/index.ts';

const TEXTUAL = /^(text\/|application\/(json|xml|yaml)|image\/svg)/;

/** `GET /v1/cache/:sessionId`: a session's cached artifacts until they expire. */
export const cacheRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/v1/cache/:sessionId',
    operationId: 'getSessionCache',
    summary: "This session's cached artifacts (gone once their TTL passes)",
    tag: 'cache',
    access: 'tenant',
    params: SessionParams,
    responses: { 200: { description: 'live cache entries (possibly none)', schema: CachedView }, 400: { description: 'bad session id' } },
    async handler({ params, caller }) {
      const entries = await ctx.runtime.getCached({ tenantId: tenantOf(caller), sessionId: params.sessionId });
      return {
        sessionId: params.sessionId,
        entries: entries.map((e) => ({
          cacheId: e.cacheId,
          executionId: e.executionId,
          artifactKey: e.artifactKey,
          resultType: e.resultType,
          createdAt: e.createdAt,
          expiresAt: e.expiresAt,
          decision: e.decision,
          lineage: e.lineage,
          renderings: e.renderings.map((r) => ({
            name: r.name,
            contentType: r.contentType,
            sizeBytes: r.bytes.byteLength,
            ...(TEXTUAL.test(r.contentType) ? { text: Buffer.from(r.bytes).toString('utf8') } : { base64: Buffer.from(r.bytes).toString('base64') }),
          })),
        })),
      };
    },
  }),
];

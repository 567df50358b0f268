import type { FastifyInstance } from 'fastify';
import { LimitExceededError } from '../../errors/index.ts';
import { loadMcpServer } from '../../mcp/load-mcp.ts';
import { authenticate, tenantOf } from '../auth.ts';
import { jsonDepth } from '../limits.ts';
import type { RouteContext } from '../route.ts';

/**
 * `/mcp`: the MCP streamable HTTP transport (stateless, JSON responses).
 * The tenant is the API key's, as on every tenant route; the SDK's transport
 * answers the request itself. Not in /openapi.json: its body is JSON-RPC.
 */
export function registerMcpRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.route({
    method: ['POST', 'GET', 'DELETE'],
    url: '/mcp',
    handler: async (request, reply) => {
      const tenantId = tenantOf(await authenticate(request, 'tenant', ctx));
      const { handleMcpHttpRequest } = await loadMcpServer('the /mcp endpoint');
      const checkParameters = (parameters: Record<string, unknown>) => {
        if (jsonDepth(parameters, ctx.limits.parameterDepth) > ctx.limits.parameterDepth) {
          throw new LimitExceededError(`parameters nest deeper than ${ctx.limits.parameterDepth} levels (limits.parameter_depth)`);
        }
      };
      reply.hijack();
      await handleMcpHttpRequest({ runtime: ctx.runtime, tenantId, checkParameters }, request.raw, reply.raw, request.body);
    },
  });
}

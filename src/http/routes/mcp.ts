import type { FastifyInstance } from 'fastify';
import { LimitExceededError } from '../../errors/index.ts';
import { loadMcpServer } from '../../mcp/load-mcp.ts';
import { authenticate, tenantOf } from '../auth.ts';
import { jsonDepth } from '../limits.ts';
import { problem, sendProblem } from '../problem.ts';
import type { RouteContext } from '../route.ts';

/**
 * `/mcp`: the MCP streamable HTTP transport (stateless, JSON responses; GET and DELETE answer 405).
 * The tenant is the API key's, as on every tenant route; the SDK's transport
 * answers the request itself. Not in /openapi.json: its body is JSON-RPC.
 */
export function registerMcpRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.route({
    method: ['POST', 'GET', 'DELETE'],
    url: '/mcp',
    handler: async (request, reply) => {
      const tenantId = tenantOf(await authenticate(request, 'tenant', ctx));
      // Stateless: no stream of server-initiated messages (GET) and no session to end (DELETE).
      if (request.method !== 'POST') {
        reply.header('allow', 'POST');
        return sendProblem(reply, problem('SYM_ERR_METHOD_NOT_ALLOWED', `${request.method} /mcp is not served: the endpoint is stateless, send each MCP message with POST`), request.url);
      }
      const { handleMcpHttpRequest } = await loadMcpServer('the /mcp endpoint');
      const checkParameters = (parameters: Record<string, unknown>) => {
        if (jsonDepth(parameters, ctx.limits.parameterDepth) > ctx.limits.parameterDepth) {
          throw new LimitExceededError(`parameters nest deeper than ${ctx.limits.parameterDepth} levels (limits.parameter_depth)`);
        }
      };
      reply.hijack();
      const traceparent = request.headers.traceparent;
      await handleMcpHttpRequest(
        { runtime: ctx.runtime, tenantId, checkParameters, ...(typeof traceparent === 'string' ? { traceparent } : {}) },
        request.raw, reply.raw, request.body,
      );
    },
  });
}

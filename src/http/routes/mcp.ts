import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LimitExceededError } from '../../errors/index.ts';
import { loadMcpServer } from '../../mcp/load-mcp.ts';
import { authenticate, tenantOf } from '../auth.ts';
import { jsonDepth } from '../limits.ts';
import { problem, sendProblem } from '../problem.ts';
import { parseInput, type RouteContext } from '../route.ts';
import { IdempotencyHeaders } from '../schemas/index.ts';

/** The headers /mcp reads, checked as on every route that reads them (a traceparent over 512 characters is a 400). */
const McpHeaders = z.object({ traceparent: IdempotencyHeaders.shape.traceparent });

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
      const { traceparent } = parseInput(McpHeaders, request.headers, 'header');
      const { handleMcpHttpRequest } = await loadMcpServer('the /mcp endpoint');
      const checkParameters = (parameters: Record<string, unknown>) => {
        if (jsonDepth(parameters, ctx.limits.parameterDepth) > ctx.limits.parameterDepth) {
          throw new LimitExceededError(`the tool's arguments nest deeper than ${ctx.limits.parameterDepth} levels (limits.parameter_depth)`, [
            { path: 'arguments', message: `nest deeper than ${ctx.limits.parameterDepth} levels` },
          ]);
        }
      };
      reply.hijack();
      await handleMcpHttpRequest(
        { runtime: ctx.runtime, tenantId, checkParameters, ...(traceparent !== undefined ? { traceparent } : {}) },
        request.raw, reply.raw, request.body,
      );
    },
  });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema, ErrorCode, InitializeRequestSchema, isJSONRPCRequest, JSONRPCMessageSchema, ListToolsRequestSchema, McpError,
  PingRequestSchema, type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { packagePath } from '../package/package-root.ts';
import { describeIssues, INVALID_PARAMS, INVALID_REQUEST, invalidRequest, jsonRpcError, PARSE_ERROR, toolsCallProblem } from './json-rpc.ts';
import { callMcpTool, mcpTools, type McpCallContext } from './tools.ts';

/**
 * The MCP server over a runtime, with the MCP SDK (an optional peer: load
 * this module through `importOptional`, see `load-mcp.ts`).
 */

const VERSION = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

/**
 * An MCP server (the SDK's low-level `Server`, so input schemas are the
 * intents' JSON Schemas as they are) whose tools are the runtime's intent
 * types, every call executed as `ctx.tenantId`. Connect it to a transport.
 * The tool table is read once: realms registered later are not tools of it.
 * `onCall` sees each call's promise (to wait for calls in flight).
 * Throws ConfigError when two intent types map to one tool name.
 */
export function createMcpServer(ctx: McpCallContext, onCall?: (call: Promise<unknown>) => void): Server {
  const tools = mcpTools(ctx.runtime.intents());
  const server = new Server(
    { name: 'symphainy', version: VERSION },
    {
      capabilities: { tools: {} },
      instructions: 'Each tool is an intent type of the SymphAIny runtime; each call runs one execution, and the materialization policy decides what of its result is persisted, cached or discarded (see the artifacts\' decision and reason).',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [...tools.values()].map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = tools.get(request.params.name);
    if (!tool) {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool '${request.params.name}'; tools: ${[...tools.keys()].join(', ')}`);
    }
    const call = callMcpTool(ctx, tool, request.params.arguments);
    onCall?.(call);
    return call;
  });
  return server;
}

/** The schemas of the requests the server answers, by method (the SDK's own). */
const REQUEST_SCHEMAS: Readonly<Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }>> = {
  initialize: InitializeRequestSchema, ping: PingRequestSchema, 'tools/list': ListToolsRequestSchema, 'tools/call': CallToolRequestSchema,
};

/** Why a request's params are invalid (a sentence naming the member), or null. */
function paramsProblem(request: JSONRPCRequest): string | null {
  if (request.method === 'tools/call') {
    const problem = toolsCallProblem(request.params);
    if (problem) return problem;
  }
  const checked = REQUEST_SCHEMAS[request.method]?.safeParse(request);
  return checked && !checked.success ? `${request.method}: ${describeIssues(checked.error!.issues)}` : null;
}

/**
 * Connects the server to a transport, with the requests the SDK would
 * answer -32603 Internal error (params its schema refuses: a string of
 * tool arguments, a tools/call without params) answered -32602 Invalid
 * params first, naming the member, as JSON-RPC 2.0 says.
 */
async function connect(server: Server, transport: Transport): Promise<void> {
  await server.connect(transport);
  const deliver = transport.onmessage!;
  transport.onmessage = (message, extra) => {
    const problem = isJSONRPCRequest(message) ? paramsProblem(message) : null;
    if (problem === null) return deliver(message, extra);
    const { id } = message as JSONRPCRequest;
    void transport.send({ jsonrpc: '2.0', id, error: { code: INVALID_PARAMS, message: `Invalid params: ${problem}` } }).catch(() => {});
  };
}

/**
 * stdio: the SDK's transport drops a line that is no JSON or no JSON-RPC
 * message (an empty batch too), reporting it to `onerror` only, and the
 * client waits for an answer that never comes. JSON-RPC 2.0 answers it:
 * -32700 Parse error or -32600 Invalid Request, with id null.
 */
function answerUnreadLines(transport: Transport): void {
  const reported = transport.onerror;
  transport.onerror = (err) => {
    const code = err instanceof SyntaxError ? PARSE_ERROR : err?.name === 'ZodError' ? INVALID_REQUEST : null;
    if (code !== null) {
      const message = code === PARSE_ERROR ? 'Parse error: a line of stdin is not JSON' : 'Invalid Request: a line of stdin is not a JSON-RPC message (an object with jsonrpc "2.0"; batches are not taken here)';
      // id null: the request's id cannot be read (JSON-RPC 2.0 §5); the SDK's message type has no null id.
      void transport.send(jsonRpcError(null, code, message) as unknown as Parameters<Transport['send']>[0]).catch(() => {});
    }
    reported?.(err);
  };
}

/**
 * Serves MCP on this process's stdin/stdout until stdin ends (the client
 * closed it) or `until` resolves (e.g. on SIGTERM); then waits for the calls
 * in flight, so the caller can close the runtime under none. Nothing else
 * may write to stdout meanwhile (the runtime logs to stderr).
 */
export async function serveMcpStdio(ctx: McpCallContext, until?: Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  const server = createMcpServer(ctx, (call) => {
    inFlight.add(call);
    void call.catch(() => {}).finally(() => inFlight.delete(call));
  });
  const transport = new StdioServerTransport();
  await connect(server, transport);
  answerUnreadLines(transport);
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    void until?.then(resolve);
  });
  await Promise.allSettled([...inFlight]);
  await server.close();
}

/**
 * Answers one streamable-HTTP MCP request (a POSTed JSON-RPC message). The
 * server is stateless: every request gets a fresh server and transport and
 * no MCP session is kept between requests (so the route refuses GET and DELETE).
 * The caller has authenticated the tenant and hijacked the response. A body
 * that is no JSON-RPC message or batch (an empty batch too) is answered 400
 * with -32600 Invalid Request here, before the SDK's transport, which would
 * call it a parse error or accept it.
 */
export async function handleMcpHttpRequest(ctx: McpCallContext, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const refused = invalidRequest(body)
    ?? ((Array.isArray(body) ? body : [body]).some((m) => !JSONRPCMessageSchema.safeParse(m).success)
      ? 'Invalid Request: the body is not a JSON-RPC message MCP accepts' : null);
  if (refused !== null) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(jsonRpcError(null, INVALID_REQUEST, refused)));
    return;
  }
  const server = createMcpServer(ctx);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.once('close', () => {
    void transport.close().catch(() => {});
    void server.close().catch(() => {});
  });
  await connect(server, transport);
  await transport.handleRequest(req, res, body);
}

import { z } from 'zod';
import { ConfigError, InvalidIntentError, isSymphainyError } from '../errors/index.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';
import type { Runtime } from '../runtime/create-runtime.ts';

/**
 * Intent types as MCP tools, without the MCP SDK (the SDK-facing part is
 * `mcp-server.ts`): tool names, input schemas, and one call = one execution.
 */

/** The tool argument that names the session of the execution; taken out before the parameters are validated. */
export const SESSION_ARGUMENT = '_session';

/** The session of executions whose call names none (`--session` of `symphainy mcp` changes it). */
export const DEFAULT_MCP_SESSION = 'mcp';

/**
 * The MCP tool name of an intent type. Tool names allow `[A-Za-z0-9_-]`, and
 * an intent type is `<realm>.<intent>` with both parts in that set, so the
 * one dot becomes `__`: `journey.sop_to_workflow` → `journey__sop_to_workflow`.
 * The reverse is a lookup in the tool table ({@link mcpTools}), which refuses
 * the rare pair of intent types that would share a name.
 */
export function mcpToolName(intentType: string): string {
  return intentType.replace('.', '__');
}

/** A JSON Schema object (`type: 'object'`), as MCP tool input schemas must be. */
export type JsonObjectSchema = { type: 'object'; properties?: Record<string, unknown>; [key: string]: unknown };

/** One intent type as an MCP tool. */
export interface McpTool {
  readonly name: string;
  readonly intentType: string;
  readonly description: string;
  readonly inputSchema: JsonObjectSchema;
}

/**
 * The tools of a runtime's intent types, by tool name. Throws ConfigError
 * when two intent types map to the same tool name (e.g. realms `a__b` with
 * intent `c` and `a` with `b__c`).
 */
export function mcpTools(intents: readonly RegisteredIntent[]): Map<string, McpTool> {
  const tools = new Map<string, McpTool>();
  for (const entry of intents) {
    const name = mcpToolName(entry.intentType);
    const other = tools.get(name);
    if (other) {
      throw new ConfigError(`intent types '${other.intentType}' and '${entry.intentType}' both become the MCP tool '${name}'; rename a realm or an intent`);
    }
    tools.set(name, {
      name,
      intentType: entry.intentType,
      description: `${entry.definition.description ?? `Runs the intent ${entry.intentType}`} (intent ${entry.intentType}; each call is one execution, its artifacts persisted, cached or discarded by the materialization policy)`,
      inputSchema: inputSchemaOf(entry),
    });
  }
  return tools;
}

const SESSION_PROPERTY = {
  type: 'string',
  minLength: 1,
  description: `session id of the execution (default '${DEFAULT_MCP_SESSION}'); not passed to the intent`,
};

/**
 * The JSON Schema of an intent's parameters plus `_session`. A Zod schema is
 * converted (what a client sends: `io: 'input'`); a schema of another kind,
 * or one that is not an object, gives an open object — the runtime still
 * validates every call with the intent's own schema.
 */
function inputSchemaOf(entry: RegisteredIntent): JsonObjectSchema {
  let schema: Record<string, unknown> = { type: 'object' };
  const params = entry.definition.params;
  // A Zod 4 schema (any copy of zod): it carries `_zod`.
  if (params !== undefined && typeof params === 'object' && '_zod' in params) {
    try {
      const { $schema: _ignored, ...rest } = z.toJSONSchema(params as z.ZodType, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      if (rest.type === 'object') schema = rest;
    } catch {
      /* not representable: an open object */
    }
  }
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return { ...schema, type: 'object', properties: { ...properties, [SESSION_ARGUMENT]: SESSION_PROPERTY } };
}

/** What a tool call returns, in MCP's CallToolResult shape. */
export interface McpToolResult {
  content: { type: 'text'; text: string }[];
  structuredContent: Record<string, unknown>;
  isError: boolean;
  [key: string]: unknown;
}

export interface McpCallContext {
  readonly runtime: Runtime;
  /** The tenant every call runs as (from `--tenant` or the API key; never from the arguments). */
  readonly tenantId: string;
  /** @default {@link DEFAULT_MCP_SESSION} */
  readonly defaultSessionId?: string;
  /** Refuses parameters before anything runs (e.g. the HTTP API's nesting limit); throws a SymphainyError. */
  readonly checkParameters?: (parameters: Record<string, unknown>) => void;
  /** The W3C traceparent of the request carrying the call (streamable HTTP): the execution joins that trace. */
  readonly traceparent?: string;
}

/**
 * Where an issue of the runtime is, as the tool's caller wrote it: the
 * intent's `parameters.<x>` are the arguments `<x>`, its `sessionId` is the
 * `_session` argument. A call sends arguments, not an intent envelope, so
 * an error must not name fields the caller never saw.
 */
export function argumentPath(path: string): string {
  if (path === 'sessionId') return SESSION_ARGUMENT;
  if (path === 'parameters') return 'arguments';
  return path.startsWith('parameters.') ? path.slice('parameters.'.length) : path;
}

/**
 * Runs one tool call as one execution (`runtime.execute`) of the tool's
 * intent type. The result is the execution result as JSON text and as
 * structured content; `isError` when the execution failed. A refused call
 * (bad argument, bad `_session`) is a tool error naming the argument as the
 * caller sent it ({@link argumentPath}), and nothing is executed: the
 * runtime validates before it runs.
 * Errors that are not SymphainyErrors (a store failure) are thrown.
 */
export async function callMcpTool(ctx: McpCallContext, tool: McpTool, args: Record<string, unknown> | undefined): Promise<McpToolResult> {
  try {
    const { [SESSION_ARGUMENT]: session, ...parameters } = args ?? {};
    if (session !== undefined && (typeof session !== 'string' || session.trim() === '')) {
      throw new InvalidIntentError(`argument '${SESSION_ARGUMENT}' must be a non-empty string (the session id), got ${JSON.stringify(session)}`, [
        { path: SESSION_ARGUMENT, message: `must be a non-empty string (the session id), got ${JSON.stringify(session)}` },
      ]);
    }
    ctx.checkParameters?.(parameters);
    const result = await ctx.runtime.execute({
      intentType: tool.intentType,
      tenantId: ctx.tenantId,
      sessionId: (session as string | undefined) ?? ctx.defaultSessionId ?? DEFAULT_MCP_SESSION,
      parameters,
    }, ctx.traceparent ? { traceparent: ctx.traceparent } : {});
    const structured = result as unknown as Record<string, unknown>;
    return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: structured, isError: result.status !== 'completed' };
  } catch (err) {
    if (!isSymphainyError(err)) throw err;
    const raw = (err as { issues?: unknown }).issues;
    const issues = Array.isArray(raw)
      ? raw.filter((i) => typeof i?.path === 'string').map((i: { path: string; message: string }) => ({ path: argumentPath(i.path), message: i.message }))
      : [];
    // The runtime's message names `parameters.x` and `sessionId`; an invalid call's is said again in the arguments' terms.
    const message = err.code === 'SYM_ERR_INVALID_INTENT' && issues.length > 0
      ? `invalid arguments for tool '${tool.name}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`
      : err.message;
    const error = { code: err.code, message, ...(issues.length > 0 ? { issues } : {}) };
    return { content: [{ type: 'text', text: `error [${err.code}]: ${message}` }], structuredContent: { error }, isError: true };
  }
}

/**
 * JSON-RPC 2.0 checks the MCP SDK gets wrong, made before a message reaches
 * it (without the SDK, so the checks load without it). The SDK answers
 * valid JSON that is no JSON-RPC message with -32700 Parse error, accepts an
 * empty batch with 202, and answers a request whose params its schema
 * refuses with -32603 Internal error and a dump of zod issues. JSON-RPC 2.0
 * says: -32600 Invalid Request for the first two, -32602 Invalid params for
 * the last; every message here is a sentence naming the member at fault.
 */

/** JSON-RPC 2.0 error codes. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

/** A JSON-RPC error response (`id` null when the request's id cannot be known). */
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

export function jsonRpcError(id: string | number | null, code: number, message: string): JsonRpcErrorResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as a message shows its kind (`a string`, `a list`, `null`). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Why a POSTed body is not a JSON-RPC message or batch (an Invalid Request),
 * or null when it is one. A batch must not be empty; each member must be a
 * request, a notification or a response with `jsonrpc: "2.0"`, a string or
 * integer `id` (MCP allows no null id), a string `method` and object
 * `params` (MCP's params are always by name).
 */
export function invalidRequest(body: unknown): string | null {
  if (Array.isArray(body)) {
    if (body.length === 0) return 'Invalid Request: an empty batch (send at least one message)';
    for (let i = 0; i < body.length; i++) {
      const problem = messageProblem(body[i]);
      if (problem) return `Invalid Request: message ${i + 1} of the batch ${problem}`;
    }
    return null;
  }
  const problem = messageProblem(body);
  return problem ? `Invalid Request: the message ${problem}` : null;
}

function messageProblem(m: unknown): string | null {
  if (!isObject(m)) return `is ${kindOf(m)}, not a JSON-RPC message (an object with jsonrpc "2.0")`;
  if (m.jsonrpc !== '2.0') return `has jsonrpc ${JSON.stringify(m.jsonrpc) ?? 'missing'}; it must be "2.0"`;
  if ('id' in m && !(typeof m.id === 'string' || Number.isSafeInteger(m.id))) return `has an id that is ${kindOf(m.id)}; it must be a string or an integer`;
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '') return "has a 'method' that is not a non-empty string";
    if ('params' in m && !isObject(m.params)) return `has params that are ${kindOf(m.params)}; they must be an object`;
    return null;
  }
  if (!('id' in m)) return "has neither a 'method' (a request or notification) nor an 'id' (a response)";
  if (('result' in m) === ('error' in m)) return "is a response with both or neither of 'result' and 'error'";
  if ('error' in m && !(isObject(m.error) && Number.isInteger(m.error.code) && typeof m.error.message === 'string')) {
    return "has an 'error' that is not { code, message }";
  }
  return null;
}

/**
 * Why a `tools/call` request's params are invalid, or null: they must be
 * `{ name, arguments? }` with a string name and an object of arguments.
 */
export function toolsCallProblem(params: unknown): string | null {
  if (!isObject(params)) return `tools/call needs params { name, arguments } (got ${params === undefined ? 'none' : kindOf(params)})`;
  if (typeof params.name !== 'string' || params.name === '') {
    return `tools/call: 'name' must be the name of a tool (a string; tools/list lists them), got ${params.name === undefined ? 'none' : kindOf(params.name)}`;
  }
  if (params.arguments !== undefined && !isObject(params.arguments)) {
    return `tools/call: 'arguments' must be an object of the tool's arguments, got ${kindOf(params.arguments)}`;
  }
  return null;
}

/** Zod-style issues (`{ path, message }`) as one line: `params.cursor: expected string, received number`. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(params)'}: ${i.message.replace(/^Invalid input: /, '')}`)
    .join('; ');
}

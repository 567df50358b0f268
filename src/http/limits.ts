/** What the HTTP API accepts at most; each can be set in the runtime config's `http.limits`. */
export interface HttpLimits {
  /** Bytes of a request body. @default 1 MiB */
  readonly bodyBytes: number;
  /** Nesting depth of intent parameters (objects and arrays). @default 32 */
  readonly parameterDepth: number;
  /** Bytes of a rendering served by `/v1/artifacts/:id/content/:rendering`. @default 32 MiB */
  readonly renderingBytes: number;
  /** Largest `limit` of a listing. @default 500 */
  readonly pageSize: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  bodyBytes: 1024 * 1024,
  parameterDepth: 32,
  renderingBytes: 32 * 1024 * 1024,
  pageSize: 500,
});

/**
 * The nesting depth of a JSON value (a scalar is 0, `{}` is 1), counted
 * without recursion so a hostile, deeply nested body cannot exhaust the
 * stack; stops counting past `max`.
 */
export function jsonDepth(value: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const d = depth + 1;
    if (d > deepest) deepest = d;
    if (deepest > max) return deepest;
    for (const child of Object.values(v)) stack.push([child, d]);
  }
  return deepest;
}

// The limits and their defaults are options, compiled with every other one (src/options).
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../options/http-options.ts';

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

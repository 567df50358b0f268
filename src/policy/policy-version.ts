import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level and `undefined` members
 * dropped, so equal content always gives equal text whatever order the
 * config file (or object literal) listed it in. Array order is kept: it is
 * meaningful (governance rules are tried in order).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/**
 * `sha256:` and the first 16 hex digits of the SHA-256 of the content's
 * canonical JSON. 64 bits is plenty to tell policy versions apart, and short
 * enough to print next to every decision.
 */
export function contentVersion(content: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16)}`;
}

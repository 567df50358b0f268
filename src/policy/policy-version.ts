import { createHash } from 'node:crypto';
import { canonicalJson } from '../json/canonical-json.ts';

/**
 * `sha256:` and the first 16 hex digits of the SHA-256 of the content's
 * canonical JSON. 64 bits is plenty to tell policy versions apart, and short
 * enough to print next to every decision.
 */
export function contentVersion(content: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16)}`;
}

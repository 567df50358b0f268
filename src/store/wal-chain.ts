import { createHash } from 'node:crypto';
import { canonicalJson } from '../json/canonical-json.ts';

/**
 * The WAL's tamper evidence: each tenant's records form a hash chain. A
 * record's hash covers the previous record's hash, its fields and the hash
 * of its content — the content is hashed separately so an erasure can
 * replace it with a redaction marker without breaking the chain.
 */
export const GENESIS_SHA256 = '0'.repeat(64);

/** A payload erasure replaced: its content hash stays, the content is gone. */
export function isRedacted(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && (payload as { redacted?: unknown }).redacted === true;
}

export function contentSha256(payload: unknown): string {
  return sha256(canonicalJson(payload));
}

export interface ChainFields {
  readonly tenantId: string;
  readonly executionId: string | null;
  readonly intentId: string | null;
  readonly recordType: string;
  readonly recordedAt: string;
}

export function recordSha256(prev: string, f: ChainFields, content: string): string {
  return sha256([prev, f.tenantId, f.executionId ?? '', f.intentId ?? '', f.recordType, f.recordedAt, content].join('\n'));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

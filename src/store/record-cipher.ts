import { executionCover, type ContentCipher, type CoveredExecution } from '../crypto/content-cipher.ts';
import type { Cover } from '../crypto/scope.ts';
import { parseSealed, sealedFromText } from '../crypto/sealed-format.ts';
import { ConfigError, KeyDestroyedError } from '../errors/index.ts';

/** How a sealed JSON value is stored in a JSON column: a JSON string `sye1:` + base64url of the sealed bytes. */
export const SEALED_TEXT_PREFIX = 'sye1:';

/** Whether a stored value is a sealed value's text form. */
export function isSealedText(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_TEXT_PREFIX);
}

/** What a reader gets for a value whose key was destroyed (erased): the key's id, no content. */
export interface ErasedValue {
  readonly erased: true;
  readonly keyId: string;
}

/**
 * Seals and opens tenant content in the database's JSON columns: each value
 * becomes one sealed JSON string (docs/encryption.md), the associated data
 * naming its record (`execution:<id>`, `execution:<id>/step:<seq>`,
 * `signal:<id>`, `wal:<execution or intent>/<type>`) and field, so a value
 * copied to another row or field does not open.
 *
 * General notes: it owns the mapping of records to sealed JSON; writers seal
 * before their transaction (so a group commit never waits on a key), readers
 * open after their query. A value written with encryption off is plain JSON
 * and is returned as it is.
 */
export class RecordCipher {
  constructor(readonly content: ContentCipher) {}

  /** The cover of an execution's content: tenant, session, and each declared subject among its parameters. */
  cover(e: CoveredExecution): Cover {
    return executionCover(this.content, e);
  }

  /** Seals a JSON value for `record#field`. @returns the `sye1:` text. */
  seal(value: unknown, cover: Cover, record: string, field: string): Promise<string> {
    return this.content.envelope.sealText(JSON.stringify(value ?? null), cover, { tenantId: cover.tenantId, record, field });
  }

  /**
   * Opens what {@link seal} made; a plain value is returned as it is. A value
   * whose key was destroyed comes back as {@link ErasedValue} (erased on
   * purpose, not a failure).
   * @throws DecryptError naming the keys and the record (altered, or moved);
   *   KeyUnavailableError naming the key (another key store, or a wrong KEK).
   */
  async open(value: unknown, tenantId: string, record: string, field: string): Promise<unknown> {
    if (!isSealedText(value)) return value;
    try {
      return JSON.parse(await this.content.envelope.openText(value, { tenantId, record, field })) as unknown;
    } catch (err) {
      if (err instanceof KeyDestroyedError) return { erased: true, keyId: err.keyId } satisfies ErasedValue;
      throw err;
    }
  }

  /** The key ids a sealed value names (its cover's keys when it was sealed). */
  static keyIdsOf(sealed: string): string[] {
    return [...parseSealed(sealedFromText(sealed)).keyIds];
  }
}

/** {@link RecordCipher.open}, or the value as it is without a cipher; a sealed value without one is refused. */
export async function openValue(
  cipher: RecordCipher | undefined, value: unknown, tenantId: string, record: string, field: string,
): Promise<unknown> {
  if (cipher) return cipher.open(value, tenantId, record, field);
  if (isSealedText(value)) {
    throw new ConfigError(`record '${tenantId}/${record}#${field}' is sealed, but this runtime runs with encryption off (set encryption: true and its key directory)`);
  }
  return value;
}

/**
 * Content fields of WAL payloads: sealed; the rest (ids, types, times,
 * decisions, policy versions, transitions) stays clear so explain, diff,
 * apply and `wal verify` read it without keys.
 */
const WAL_CONTENT: readonly (readonly string[])[] = [
  ['intent', 'parameters'], ['parameters'], ['error', 'message'], ['result'], ['data'], ['summary'], ['wait', 'summary'],
];

/** The record a WAL payload's sealed fields belong to (known before its seq is). */
export function walRecordName(r: { readonly executionId: string | null; readonly intentId: string | null; readonly recordType: string }): string {
  return `wal:${r.executionId ?? r.intentId ?? '-'}/${r.recordType}`;
}

/** Seals a WAL payload's content fields (approval reasons too). @returns a new payload; the input is not changed. */
export async function sealWalPayload(
  c: RecordCipher, payload: Record<string, unknown>, cover: Cover, record: string,
): Promise<Record<string, unknown>> {
  const out = structuredClone(payload);
  for (const path of walPaths(out)) {
    const parent = parentOf(out, path);
    const leaf = path[path.length - 1]!;
    if (parent && parent[leaf] !== undefined && !isSealedText(parent[leaf])) parent[leaf] = await c.seal(parent[leaf], cover, record, path.join('.'));
  }
  return out;
}

/** Opens a WAL payload's sealed fields. */
export async function openWalPayload(
  c: RecordCipher | undefined, payload: Record<string, unknown>, tenantId: string, record: string,
): Promise<Record<string, unknown>> {
  let out = payload;
  for (const path of walPaths(payload)) {
    const parent = parentOf(payload, path);
    const leaf = path[path.length - 1]!;
    if (!parent || !isSealedText(parent[leaf])) continue;
    if (out === payload) out = structuredClone(payload);
    parentOf(out, path)![leaf] = await openValue(c, parent[leaf], tenantId, record, path.join('.'));
  }
  return out;
}

function walPaths(payload: Record<string, unknown>): readonly (readonly string[])[] {
  // An approval's decision reason is a person's words; a policy's reason is the policy's and stays clear.
  return payload.kind === 'approval' ? [...WAL_CONTENT, ['reason']] : WAL_CONTENT;
}

function parentOf(obj: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | undefined {
  let at: unknown = obj;
  for (const k of path.slice(0, -1)) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[k];
  }
  return at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>) : undefined;
}

/** The record a journal row's sealed fields (result, detail) are bound to. */
export function stepRecordName(executionId: string, seq: number): string {
  return `execution:${executionId}/step:${seq}`;
}

/** The record a signal's (or approval decision's) sealed data is bound to. */
export function signalRecordName(executionId: string, name: string): string {
  return `execution:${executionId}/signal:${name}`;
}

/**
 * The one place where checkpoint content (a checkpoint without its channel
 * values, its metadata, channel values, pending writes) becomes stored bytes
 * and back. Each value arrives typed by the saver's serializer (`[type,
 * bytes]`); the type travels inside the stored bytes, so every column holding
 * content is opaque to SQL. Sealing content at rest (per tenant and thread)
 * belongs here and nowhere else, which is why both directions take the scope
 * and are asynchronous.
 *
 * Stored formats: version 1 (encryption off): byte 0 = 1, byte 1 = length of
 * the type in UTF-8 (1–255), then the type, then the serializer's bytes.
 * Version 2 (encryption on): byte 0 = 2, then the version-1 bytes sealed by
 * the envelope (docs/encryption.md) under the cover tenant + thread (as the
 * session: erasing the session erases the thread) + each declared subject
 * the checkpoint names, bound to the tenant and thread.
 */
import type { ContentCipher } from '../crypto/content-cipher.ts';
import type { Cover, RecordRef, SubjectRef } from '../crypto/scope.ts';
import { ConfigError, InvalidRequestError, StoreError } from '../errors/index.ts';

/** Whose content it is, and how it is sealed. */
export interface ContentScope {
  readonly tenantId: string;
  readonly threadId: string;
  /** Seals what is stored (encryption on); absent: stored in clear (format 1). */
  readonly cipher?: ContentCipher;
  /** Declared subjects the checkpoint names: their keys cover it too. */
  readonly subjects?: readonly SubjectRef[];
}

/** A value as the serializer typed it (`SerializerProtocol.dumpsTyped`). */
export interface TypedContent {
  readonly type: string;
  readonly bytes: Uint8Array;
}

const FORMAT = 1;
const SEALED_FORMAT = 2;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes one typed value for storage, sealed when the scope has a cipher.
 * @throws InvalidRequestError naming `type` when it is empty or longer than 255 bytes.
 */
export async function toStored(scope: ContentScope, content: TypedContent): Promise<Uint8Array> {
  const plain = encode(content);
  if (!scope.cipher) return plain;
  const sealed = await scope.cipher.envelope.seal(plain, coverOf(scope), recordOf(scope));
  const out = new Uint8Array(1 + sealed.length);
  out[0] = SEALED_FORMAT;
  out.set(sealed, 1);
  return out;
}

/**
 * Decodes what {@link toStored} wrote.
 * @throws StoreError when the bytes are not in a known format; ConfigError when they are sealed and the scope has no
 *   cipher (encryption off); KeyDestroyedError (naming key and thread) when a covering key was destroyed.
 */
export async function fromStored(scope: ContentScope, stored: Uint8Array): Promise<TypedContent> {
  if (stored[0] !== SEALED_FORMAT) return decode(stored);
  if (!scope.cipher) {
    throw new ConfigError(`checkpoint content of thread '${scope.threadId}' is sealed, and this runtime has encryption off: open it with the key store it was written with`);
  }
  return decode(await scope.cipher.envelope.open(stored.subarray(1), recordOf(scope)));
}

function coverOf(scope: ContentScope): Cover {
  return { tenantId: scope.tenantId, sessionId: scope.threadId, ...(scope.subjects && scope.subjects.length > 0 ? { subjects: scope.subjects } : {}) };
}

function recordOf(scope: ContentScope): RecordRef {
  return { tenantId: scope.tenantId, record: `thread:${scope.threadId}`, field: 'checkpoint-content' };
}

function encode(content: TypedContent): Uint8Array {
  const type = utf8.encode(content.type);
  if (type.length === 0 || type.length > 255) {
    throw new InvalidRequestError(`a serializer type must be 1 to 255 bytes, got ${type.length} ('${content.type.slice(0, 60)}')`, [
      { path: 'type', message: 'must be 1 to 255 UTF-8 bytes' },
    ]);
  }
  const out = new Uint8Array(2 + type.length + content.bytes.length);
  out[0] = FORMAT;
  out[1] = type.length;
  out.set(type, 2);
  out.set(content.bytes, 2 + type.length);
  return out;
}

function decode(stored: Uint8Array): TypedContent {
  if (stored.length < 3 || stored[0] !== FORMAT) {
    throw new StoreError(`stored checkpoint content has an unknown format (first byte ${stored[0] ?? 'missing'}): the row is damaged or was not written by this runtime`);
  }
  const length = stored[1]!;
  return { type: fromUtf8.decode(stored.subarray(2, 2 + length)), bytes: stored.subarray(2 + length) };
}

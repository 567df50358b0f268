/**
 * The sealed value format, version 1 (all integers big-endian):
 *
 * ```
 * offset  size  field
 * 0       3     magic "SYE"
 * 3       1     format version = 1
 * 4       1     algorithm = 1 (AES-256-GCM; content key = HKDF-SHA256 over the named data keys)
 * 5       1     key count n (1..16)
 * 6       …     n × (1-byte length + key id, ASCII)
 * …       16    salt (random per value; HKDF salt)
 * …       12    nonce (random per value; GCM IV)
 * …       16    GCM tag
 * …       …     ciphertext (same length as the plaintext)
 * ```
 *
 * Everything before the tag is authenticated as associated data together
 * with the record reference, so changing a key id, the salt or the version
 * makes the value fail to open, like changing the ciphertext does.
 * The header is in clear on purpose: it names its keys so a reader knows
 * which keys to fetch, and an error can name the key that is missing.
 */
export const SEALED_MAGIC = Buffer.from('SYE', 'ascii');
export const SEALED_VERSION = 1;
export const ALG_AES256GCM_HKDF = 1;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const MAX_KEYS = 16;
/** Key ids are short ASCII names (see key-names.ts): letters, digits, `.`, `-`, `_`. */
export const KEY_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** A sealed value's parsed header; `header` is the authenticated prefix (magic … nonce). */
export interface SealedHeader {
  readonly version: number;
  readonly algorithm: number;
  readonly keyIds: readonly string[];
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
  readonly header: Buffer;
}

/** Thrown by {@link parseSealed} with a reason; callers wrap it in a DecryptError naming the record. */
export class SealedFormatProblem extends Error {}

/** Builds the authenticated prefix for the given keys, salt and nonce. */
export function encodeHeader(keyIds: readonly string[], salt: Buffer, nonce: Buffer): Buffer {
  if (keyIds.length < 1 || keyIds.length > MAX_KEYS) throw new SealedFormatProblem(`a sealed value names 1 to ${MAX_KEYS} keys, not ${keyIds.length}`);
  const ids = keyIds.map((id) => {
    if (!KEY_ID.test(id)) throw new SealedFormatProblem(`invalid key id '${id}'`);
    return Buffer.from(id, 'ascii');
  });
  const parts: Buffer[] = [SEALED_MAGIC, Buffer.from([SEALED_VERSION, ALG_AES256GCM_HKDF, ids.length])];
  for (const id of ids) parts.push(Buffer.from([id.length]), id);
  parts.push(salt, nonce);
  return Buffer.concat(parts);
}

/** True when the bytes start like a sealed value (magic and a known version). */
export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x53 && bytes[1] === 0x59 && bytes[2] === 0x45 && bytes[3] === SEALED_VERSION;
}

/** Splits a sealed value into its parts. @throws SealedFormatProblem saying what is wrong. */
export function parseSealed(input: Uint8Array): SealedHeader {
  const b = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (b.length < 6 || !b.subarray(0, 3).equals(SEALED_MAGIC)) throw new SealedFormatProblem('not a sealed value (no SYE header)');
  const version = b[3]!;
  if (version !== SEALED_VERSION) throw new SealedFormatProblem(`unsupported sealed format version ${version} (this build reads ${SEALED_VERSION})`);
  const algorithm = b[4]!;
  if (algorithm !== ALG_AES256GCM_HKDF) throw new SealedFormatProblem(`unknown algorithm ${algorithm}`);
  const n = b[5]!;
  if (n < 1 || n > MAX_KEYS) throw new SealedFormatProblem(`bad key count ${n}`);
  let at = 6;
  const keyIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = b[at];
    if (len === undefined || at + 1 + len > b.length) throw new SealedFormatProblem('truncated header (key ids)');
    const id = b.toString('ascii', at + 1, at + 1 + len);
    if (!KEY_ID.test(id)) throw new SealedFormatProblem(`invalid key id in header`);
    keyIds.push(id);
    at += 1 + len;
  }
  if (at + SALT_BYTES + NONCE_BYTES + TAG_BYTES > b.length) throw new SealedFormatProblem('truncated header (salt, nonce, tag)');
  const salt = b.subarray(at, at + SALT_BYTES);
  const nonce = b.subarray(at + SALT_BYTES, at + SALT_BYTES + NONCE_BYTES);
  const headerEnd = at + SALT_BYTES + NONCE_BYTES;
  const tag = b.subarray(headerEnd, headerEnd + TAG_BYTES);
  return {
    version,
    algorithm,
    keyIds,
    salt,
    nonce,
    tag,
    ciphertext: b.subarray(headerEnd + TAG_BYTES),
    header: b.subarray(0, headerEnd),
  };
}

/** Text form of a sealed value for text/JSON columns and messages: `sye1:` + base64url. */
export function sealedToText(sealed: Uint8Array): string {
  return `sye1:${Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength).toString('base64url')}`;
}

/** Inverse of {@link sealedToText}. @throws SealedFormatProblem when the prefix is missing. */
export function sealedFromText(text: string): Buffer {
  if (typeof text !== 'string' || !text.startsWith('sye1:')) throw new SealedFormatProblem("not a sealed text value (no 'sye1:' prefix)");
  return Buffer.from(text.slice(5), 'base64url');
}

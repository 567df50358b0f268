import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { DecryptError, InvalidRequestError } from '../errors/index.ts';
import { deriveKey } from './key-derivation.ts';
import type { Keyring } from './keyring.ts';
import { coverScopes, describeRecord, recordAad, type Cover, type RecordRef } from './scope.ts';
import {
  NONCE_BYTES,
  SALT_BYTES,
  SealedFormatProblem,
  TAG_BYTES,
  encodeHeader,
  parseSealed,
  sealedFromText,
  sealedToText,
} from './sealed-format.ts';

/** Derived hash keys kept (oldest dropped first). */
const HASH_KEY_CACHE = 4096;

/** A keyed content hash: which keys it depends on, and the HMAC-SHA256 digest (hex). */
export interface KeyedDigest {
  readonly keyIds: readonly string[];
  readonly hex: string;
  /** `hk1:<keyId>,<keyId>…:<hex>`, one string for a column. */
  readonly text: string;
}

/**
 * Envelope encryption of tenant content: AES-256-GCM under a content key
 * derived from the data keys of every scope covering the record (see
 * key-derivation.ts), with the record reference as associated data.
 *
 * General notes: it owns the sealed format (sealed-format.ts) and keyed
 * hashes. It does not own keys (the {@link Keyring}) nor which fields are
 * encrypted or which scopes cover a record (the write path decides, see
 * docs/encryption.md).
 *
 * ```ts
 * const env = new Envelope(keyring);
 * const ref = { tenantId: 'acme', record: 'execution:exe_1', field: 'parameters' };
 * const sealed = await env.seal(JSON.stringify(params), { tenantId: 'acme', sessionId: 's1', subjects: [{ name: 'customer_id', value: '42' }] }, ref);
 * const plain = await env.open(sealed, ref); // Buffer
 * ```
 */
export class Envelope {
  readonly #keyring: Keyring;
  /**
   * Derived hash keys by key ids and purpose: one HKDF per cover and
   * purpose, not one per digest. Consulted only after the keyring handed out
   * every named key, so a destroyed key still fails the digest.
   */
  readonly #hashKeys = new Map<string, Buffer>();

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  /**
   * Seals bytes (or a string, as UTF-8) for one record.
   * @param cover the scopes whose keys must all exist to open it; `cover.tenantId` must equal `ref.tenantId`.
   * @returns the sealed value (header ‖ tag ‖ ciphertext), 6 + Σ(1 + key id length) + 44 bytes longer than the plaintext.
   * @throws InvalidRequestError for a bad cover or record reference; KeyUnavailableError when a key cannot be made or read.
   */
  async seal(plaintext: Uint8Array | string, cover: Cover, ref: RecordRef): Promise<Buffer> {
    const scopes = coverScopes(cover);
    const aad = recordAad(ref);
    if (ref.tenantId !== cover.tenantId) {
      throw new InvalidRequestError(`record '${describeRecord(ref)}' belongs to tenant '${ref.tenantId}', but its cover names tenant '${cover.tenantId}'`, [
        { path: 'cover.tenantId', message: `must equal the record's tenant '${ref.tenantId}'` },
      ]);
    }
    const active = await Promise.all(scopes.map((s) => this.#keyring.activeKey(s)));
    const keyIds = active.map((a) => a.keyId);
    const salt = randomBytes(SALT_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    const header = encodeHeader(keyIds, salt, nonce);
    const c = createCipheriv('aes-256-gcm', deriveKey(active.map((a) => a.key), keyIds, salt, 'content'), nonce);
    c.setAAD(Buffer.concat([header, aad]));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ct1 = c.update(data);
    const ct2 = c.final();
    return Buffer.concat([header, c.getAuthTag(), ct1, ct2]);
  }

  /**
   * Opens a sealed value of the record it was sealed for.
   * @throws KeyDestroyedError naming the key and the record when a covering key was destroyed;
   *   DecryptError naming the keys and the record when the value is malformed, altered, or sealed for another record;
   *   KeyUnavailableError when a key is missing without a tombstone or cannot be unwrapped.
   */
  async open(sealed: Uint8Array, ref: RecordRef): Promise<Buffer> {
    const aad = recordAad(ref);
    const record = describeRecord(ref);
    let parsed;
    try {
      parsed = parseSealed(sealed);
    } catch (err) {
      if (err instanceof SealedFormatProblem) throw new DecryptError(`cannot open record '${record}': ${err.message}`, { cause: err });
      throw err;
    }
    // Every key is looked up before any decryption, so a destroyed key is reported as such, not as a failed tag.
    const keys: Buffer[] = [];
    for (const id of parsed.keyIds) keys.push(await this.#keyring.key(id, record));
    try {
      const d = createDecipheriv('aes-256-gcm', deriveKey(keys, parsed.keyIds, parsed.salt, 'content'), parsed.nonce, { authTagLength: TAG_BYTES });
      d.setAAD(Buffer.concat([parsed.header, aad]));
      d.setAuthTag(parsed.tag);
      return Buffer.concat([d.update(parsed.ciphertext), d.final()]);
    } catch (err) {
      throw new DecryptError(
        `cannot open record '${record}' sealed with key${parsed.keyIds.length > 1 ? 's' : ''} ${parsed.keyIds.map((k) => `'${k}'`).join(', ')}: ` +
          'authentication failed (the value was altered, or it was sealed for another record or field)',
        { cause: err },
      );
    }
  }

  /** {@link seal} to text (`sye1:` + base64url), for text and JSON columns and messages. */
  async sealText(plaintext: Uint8Array | string, cover: Cover, ref: RecordRef): Promise<string> {
    return sealedToText(await this.seal(plaintext, cover, ref));
  }

  /** {@link open} of a text-form sealed value, decoded as UTF-8. Same errors as open. */
  async openText(text: string, ref: RecordRef): Promise<string> {
    let bytes: Buffer;
    try {
      bytes = sealedFromText(text);
    } catch (err) {
      if (err instanceof SealedFormatProblem) throw new DecryptError(`cannot open record '${describeRecord(ref)}': ${err.message}`, { cause: err });
      throw err;
    }
    return (await this.open(bytes, ref)).toString('utf8');
  }

  /**
   * HMAC-SHA256 of content under a key derived from the cover's current
   * scope keys: for index columns, dedupe keys and hash chains that must not
   * let anyone confirm a guess of the content once a covering key is
   * destroyed (a plain SHA-256 of `customer_id=42` can be brute-forced).
   *
   * `purpose` separates uses (e.g. `blob-address`, `param-fingerprint`), so
   * equal content hashes differently per use. Deterministic while the keys
   * live: equal content under the same keys gives the same digest. After a
   * rotation, new digests use the new key (compare with {@link keyedHashWith}
   * and the ids a stored digest names).
   * @throws InvalidRequestError for a bad cover or purpose.
   */
  async keyedHash(content: Uint8Array | string, cover: Cover, purpose: string): Promise<KeyedDigest> {
    const active = await Promise.all(coverScopes(cover).map((s) => this.#keyring.activeKey(s)));
    return this.#hmac(
      content,
      active.map((a) => a.keyId),
      active.map((a) => a.key),
      purpose,
    );
  }

  /**
   * Recomputes a keyed hash with the keys a stored digest names (to verify it).
   * @throws KeyDestroyedError when one of them was destroyed — the guess can no longer be confirmed, by design.
   */
  async keyedHashWith(content: Uint8Array | string, keyIds: readonly string[], purpose: string): Promise<KeyedDigest> {
    const keys: Buffer[] = [];
    for (const id of keyIds) keys.push(await this.#keyring.key(id));
    return this.#hmac(content, keyIds, keys, purpose);
  }

  #hmac(content: Uint8Array | string, keyIds: readonly string[], keys: readonly Buffer[], purpose: string): KeyedDigest {
    if (typeof purpose !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(purpose)) {
      throw new InvalidRequestError(`keyed hash purpose '${purpose}' must be 1–64 of a-z 0-9 . _ -`, [{ path: 'purpose', message: 'must be 1–64 of a-z 0-9 . _ -' }]);
    }
    // The purpose is the HKDF salt: one derived key per (keys, purpose), kept for the next digest.
    const cacheKey = `${purpose}\n${keyIds.join(',')}`;
    let hashKey = this.#hashKeys.get(cacheKey);
    if (!hashKey) {
      hashKey = deriveKey(keys, keyIds, Buffer.from(purpose, 'utf8'), 'hash');
      if (this.#hashKeys.size >= HASH_KEY_CACHE) this.#hashKeys.delete(this.#hashKeys.keys().next().value!);
      this.#hashKeys.set(cacheKey, hashKey);
    }
    const hex = createHmac('sha256', hashKey).update(content).digest('hex');
    return { keyIds, hex, text: `hk1:${keyIds.join(',')}:${hex}` };
  }
}

import { createHash, hkdfSync } from 'node:crypto';
import { lengthPrefixed } from './scope.ts';

/**
 * Combines the data keys of every scope covering a record into one key.
 *
 * Decision (measured by bench/crypto.ts): HKDF-SHA256 over the concatenated
 * scope keys, with a random salt per value, rather than layered encryption
 * (content encrypted once per scope key). Both make the content unreadable
 * when any one scope key is destroyed — HKDF because its input is then
 * incomplete and 256 bits of it are unknown. HKDF costs one extract and one
 * expand per value, a few microseconds whatever the value's size, while
 * layers cost a full AES-GCM pass per scope (a 1 MB value with three scopes
 * is encrypted three times) and grow the value by a tag per layer. The
 * per-value salt gives every value its own content key, so the 96-bit
 * random GCM nonce never meets the 2^32-messages-per-key limit.
 *
 * `info` binds the purpose and the key ids in order, so a content key is
 * never a hash key, and the same keys named in another order differ.
 */
export function deriveKey(keys: readonly Buffer[], keyIds: readonly string[], salt: Buffer, purpose: 'content' | 'hash'): Buffer {
  const ikm = keys.length === 1 ? keys[0]! : Buffer.concat(keys);
  const full = lengthPrefixed([`symphainy sye1 ${purpose}`, ...keyIds]);
  // HKDF's info is limited to 1024 bytes (node:crypto); many long key ids are hashed to fit.
  const info = full.length <= 1024 ? full : createHash('sha256').update(full).digest();
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

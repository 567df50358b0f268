import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `sym_<keyId>_<secret>`: the key id finds the stored
 * record without a scan, the 256-bit secret makes guessing hopeless. Only a
 * sha256 of the whole key is stored — a slow password hash buys nothing for
 * a random secret this long — and compared in constant time.
 */
const KEY_FORMAT = /^sym_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  readonly keyId: string;
  /** The whole key, shown once. */
  readonly key: string;
  readonly sha256: string;
}

export function generateApiKey(): NewApiKey {
  const keyId = randomBytes(8).toString('hex');
  const key = `sym_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { keyId, key, sha256: sha256Hex(key) };
}

/** The key id of a well-formed key, or null (a malformed key is simply not a key). */
export function keyIdOf(key: string): string | null {
  return KEY_FORMAT.exec(key)?.[1] ?? null;
}

export function keyMatches(key: string, storedSha256: string): boolean {
  const a = Buffer.from(sha256Hex(key), 'hex');
  const b = Buffer.from(storedSha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

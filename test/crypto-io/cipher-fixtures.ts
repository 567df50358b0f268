import type { ContentCipher } from '../../src/crypto/content-cipher.ts';
import { freshKeyring } from '../crypto/crypto-fixtures.ts';

/** A keyring in a temp dir and a cipher over it, declaring `customer_id` (or `subjects`) as every tenant's subject parameter. */
export async function freshCipher(subjects: readonly string[] = ['customer_id']) {
  const k = await freshKeyring();
  const cipher: ContentCipher = { envelope: k.envelope, subjectNames: () => subjects };
  return { ...k, cipher };
}

/**
 * A distinctive marker, unique per call, for content that must never be
 * found in clear. Its length is a multiple of 3, so at the start of content
 * its base64 is a prefix of the content's base64 (found by {@link holds}).
 */
export function marker(label: string): string {
  const m = `MARKER-${label}-${Math.random().toString(36).slice(2, 10)}-CLEAR`;
  return m.padEnd(Math.ceil(m.length / 3) * 3, 'X');
}

/** Whether raw bytes hold `text` as is, or in the encodings a store could use (base64, hex). */
export function holds(raw: Uint8Array | string, text: string): boolean {
  const b = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw);
  const t = Buffer.from(text, 'utf8');
  return [t, Buffer.from(t.toString('base64')), Buffer.from(t.toString('hex')), Buffer.from(t.toString('base64url'))]
    .some((n) => b.includes(n));
}

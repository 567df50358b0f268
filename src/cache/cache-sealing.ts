import { executionCover, type ContentCipher, type CoveredExecution } from '../crypto/content-cipher.ts';
import type { RecordRef } from '../crypto/scope.ts';
import { DecryptError, KeyDestroyedError } from '../errors/index.ts';
import type { EncodedRendering } from '../realm/rendering.ts';
import type { CacheEntry } from './cache-store.ts';

/** Renderings as a cache stores them in JSON (JSON has no bytes). */
export interface StoredRendering {
  readonly name: string;
  readonly contentType: string;
  readonly base64: string;
}

/**
 * Sealing of cache entries' renderings, shared by the cache stores: the
 * renderings (names, content types and bytes) become one sealed text value
 * (`sye1:…`) bound to the entry (`cache:<cacheId>` / `renderings`), so a
 * value copied to another entry or tenant does not open. Sealing happens in
 * {@link CacheSealing.seal}, before the entry's transaction; a store only
 * writes the text.
 */
export class CacheSealing {
  constructor(readonly cipher: ContentCipher) {}

  /**
   * The entry with `sealedRenderings` set, under the cover of the execution
   * that produced it (tenant, session, declared subjects of its parameters).
   * @throws KeyUnavailableError when a key cannot be made or read.
   */
  async seal(entry: CacheEntry, coveredBy: CoveredExecution): Promise<CacheEntry> {
    const cover = executionCover(this.cipher, { ...coveredBy, tenantId: entry.tenantId });
    const sealedRenderings = await this.cipher.envelope.sealText(JSON.stringify(toStored(entry.renderings)), cover, recordOf(entry));
    return { ...entry, sealedRenderings };
  }

  /**
   * The renderings of a stored entry, opened; null when a covering key was
   * destroyed (the entry was erased: a miss, never its plaintext).
   * @throws DecryptError naming the entry when the value was altered or moved.
   */
  async open(entry: Pick<CacheEntry, 'tenantId' | 'cacheId'>, sealed: string): Promise<EncodedRendering[] | null> {
    try {
      return fromStored(JSON.parse(await this.cipher.envelope.openText(sealed, recordOf(entry))) as StoredRendering[]);
    } catch (err) {
      if (err instanceof KeyDestroyedError) return null;
      throw err;
    }
  }
}

/**
 * What a store writes for an entry's renderings, at once (no await, so a
 * statement built from it can still be pipelined into a transaction): the
 * sealed text when the store has a cipher, else the plain list.
 * @throws Error when a sealing store is handed an unsealed entry here: inside a transaction, sealing would hold it (or a group commit) on key files.
 */
export function storedRenderingsNow(sealing: CacheSealing | undefined, entry: CacheEntry): string | StoredRendering[] {
  if (!sealing) return toStored(entry.renderings);
  if (entry.sealedRenderings !== undefined) return entry.sealedRenderings;
  throw new Error(`cache entry '${entry.cacheId}' must be sealed (CacheStore.seal) before the transaction that writes it`);
}

/** Outside any transaction: {@link storedRenderingsNow}, sealing an entry not sealed yet under its tenant and session. */
export async function storedRenderings(sealing: CacheSealing | undefined, entry: CacheEntry): Promise<string | StoredRendering[]> {
  if (sealing && entry.sealedRenderings === undefined) return (await sealing.seal(entry, { tenantId: entry.tenantId, sessionId: entry.sessionId })).sealedRenderings!;
  return storedRenderingsNow(sealing, entry);
}

/**
 * An entry's renderings as read: opened when sealed, null when erased.
 * @throws DecryptError when sealed renderings are read by a store without a cipher, or do not open.
 */
export async function readRenderings(
  sealing: CacheSealing | undefined, entry: Pick<CacheEntry, 'tenantId' | 'cacheId'>, stored: unknown,
): Promise<EncodedRendering[] | null> {
  if (typeof stored !== 'string') return fromStored(stored as StoredRendering[]);
  if (!sealing) throw new DecryptError(`cache entry '${entry.tenantId}/${entry.cacheId}' is sealed, and this cache has no encryption keys to open it`);
  return sealing.open(entry, stored);
}

function recordOf(entry: Pick<CacheEntry, 'tenantId' | 'cacheId'>): RecordRef {
  return { tenantId: entry.tenantId, record: `cache:${entry.cacheId}`, field: 'renderings' };
}

function toStored(renderings: readonly EncodedRendering[]): StoredRendering[] {
  return renderings.map((r) => ({ name: r.name, contentType: r.contentType, base64: Buffer.from(r.bytes).toString('base64') }));
}

function fromStored(renderings: readonly StoredRendering[]): EncodedRendering[] {
  return renderings.map((x) => ({ name: x.name, contentType: x.contentType, bytes: Buffer.from(x.base64, 'base64') }));
}

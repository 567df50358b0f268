import { createHash, randomUUID, webcrypto } from 'node:crypto';
import { ArtifactStorageError, KeyDestroyedError, KeyUnavailableError } from '../errors/index.ts';
import { executionCover, type ContentCipher, type CoveredExecution } from '../crypto/content-cipher.ts';
import type { Cover, RecordRef } from '../crypto/scope.ts';
import type { EncodedRendering } from '../realm/rendering.ts';
import type { RenderingRef } from '../store/artifact-index.ts';
import type { ArtifactContents, InlineContent } from '../store/artifact-contents.ts';
import { isSealed } from '../crypto/sealed-format.ts';
import type { BlobStore, StagedBlob } from './blob-store.ts';

/** What {@link ArtifactStorage.storeCompositeArtifact} returns. */
export interface StoredArtifact {
  readonly artifactId: string;
  /**
   * Blob store path of the artifact's manifest (which lists its renderings);
   * `inline:…` when every rendering is kept in the database, where the index
   * row is the manifest.
   */
  readonly storagePath: string;
  readonly renderings: readonly RenderingRef[];
  readonly sizeBytes: number;
  /** Renderings kept in the database: the caller writes them with the index row, in its transaction. */
  readonly inline: readonly InlineContent[];
}

export interface ArtifactStorageOptions {
  /** Where renderings of at most `inlineMaxBytes` are kept; without it, every rendering goes to the blob store. */
  readonly contents?: ArtifactContents;
  /** Largest rendering kept in the database; 0: none. @default 16384 */
  readonly inlineMaxBytes?: number;
  /**
   * Seals renderings and manifests before the blob store (or the database)
   * sees them, under keyed content addresses. Absent: plaintext under
   * `sha256/` addresses (encryption off).
   */
  readonly cipher?: ContentCipher;
}

/** The keyed-hash purpose of a sealed rendering's content address. */
export const BLOB_ADDRESS_PURPOSE = 'blob-address';

/** SHA-256 (hex) computed on the thread pool (WebCrypto), leaving this thread to drive the writes meanwhile. */
async function sha256Async(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

/** Path prefix of renderings (and manifests) kept in the database rather than the blob store. */
export const INLINE_PREFIX = 'inline:';
export const isInline = (path: string): boolean => path.startsWith(INLINE_PREFIX);
export const DEFAULT_INLINE_MAX_BYTES = 16 * 1024;

/** Prefix of artifact ids; lineage recognises ids in intent parameters by it. */
export const ARTIFACT_ID_PREFIX = 'art_';
export const ARTIFACT_ID = /^art_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * General notes: ArtifactStorage turns a composite artifact (several
 * renderings) into blobs. Each rendering is stored content-addressed under
 * its tenant (`tenants/<tenant>/sha256/<ab>/<hash>`), so identical bytes are
 * stored once per tenant and never shared across tenants; with a cipher, the
 * address is a keyed hash instead (`tenants/<tenant>/hk1/<ab>/<hmac>`,
 * HMAC-SHA256 under the cover's keys, so an address confirms no guess of the
 * content) and the bytes are sealed for that address (associated data
 * `blob:<hmac>`, so any artifact sharing the address opens them), which
 * dedupes within one cover only: erasing a session or a subject never
 * breaks another cover's artifact; a JSON manifest per
 * artifact (`tenants/<tenant>/artifacts/<id>.json`) lists them with the
 * metadata, so the blob store alone can say what an artifact was. Renderings
 * of at most `inlineMaxBytes` are kept in the database instead (no file and
 * no fsync each): they are handed back as `inline` for the caller to write
 * with the index row, and an artifact with only such renderings has no
 * manifest file (its index row is its manifest). It does not decide
 * anything: the runtime calls it only for `persist` decisions and records
 * the result in the artifact index.
 */
export class ArtifactStorage {
  readonly #contents: ArtifactContents | undefined;
  readonly #inlineMaxBytes: number;
  readonly #cipher: ContentCipher | undefined;

  constructor(readonly blobs: BlobStore, options: ArtifactStorageOptions = {}) {
    this.#contents = options.contents;
    this.#inlineMaxBytes = options.contents ? (options.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES) : 0;
    this.#cipher = options.cipher;
  }

  /**
   * Stores an artifact's renderings (and its manifest) for `tenantId`.
   * `coveredBy` is the execution it came from (tenant, session, intent
   * parameters): its cover's keys seal the bytes when the storage has a
   * cipher. @default `{ tenantId }` (the tenant's key alone)
   * @throws ArtifactStorageError when the store fails; KeyUnavailableError when a key cannot be made or read.
   */
  async storeCompositeArtifact(
    artifactType: string,
    renderings: readonly EncodedRendering[],
    tenantId: string,
    metadata: Record<string, unknown>,
    coveredBy: CoveredExecution = { tenantId },
  ): Promise<StoredArtifact> {
    if (this.#cipher) return this.#storeSealed(this.#cipher, artifactType, renderings, tenantId, metadata, executionCover(this.#cipher, { ...coveredBy, tenantId }));
    const artifactId = `${ARTIFACT_ID_PREFIX}${randomUUID()}`;
    // Renderings for the blob store start writing before they are hashed, where the store can stage
    // them, and are hashed off this thread (about 0.6 ms per MB): the hash overlaps the write.
    const staged = renderings.map((r) => (r.bytes.byteLength > this.#inlineMaxBytes ? this.blobs.stage?.(r.bytes) : undefined));
    const inline: InlineContent[] = [];
    const refs: RenderingRef[] = await Promise.all(renderings.map(async (r) => {
      const inDb = r.bytes.byteLength <= this.#inlineMaxBytes;
      const sha256 = inDb ? createHash('sha256').update(r.bytes).digest('hex') : await sha256Async(r.bytes);
      if (inDb) inline.push({ tenantId, sha256, bytes: r.bytes });
      const path = `${inDb ? INLINE_PREFIX : ''}tenants/${tenantId}/sha256/${sha256.slice(0, 2)}/${sha256}`;
      return { name: r.name, contentType: r.contentType, sha256, sizeBytes: r.bytes.byteLength, path };
    }));
    const sizeBytes = refs.reduce((sum, r) => sum + r.sizeBytes, 0);
    const manifestPath = `tenants/${tenantId}/artifacts/${artifactId}.json`;
    if (inline.length === renderings.length) return { artifactId, storagePath: `${INLINE_PREFIX}${manifestPath}`, renderings: refs, sizeBytes, inline };
    try {
      await this.#writeBlobs(renderings, refs, staged, { artifactId, artifactType, tenantId, renderings: refs, metadata }, manifestPath);
    } catch (err) {
      await Promise.all(staged.map((s) => s?.discard()));
      throw err;
    }
    return { artifactId, storagePath: manifestPath, renderings: refs, sizeBytes, inline };
  }

  /** The renderings for the blob store and the manifest, at once: their paths are known from the hashes. */
  async #writeBlobs(
    renderings: readonly EncodedRendering[], refs: readonly RenderingRef[], staged: readonly (StagedBlob | undefined)[],
    manifest: Record<string, unknown>, manifestPath: string,
  ): Promise<void> {
    // The artifact exists for the runtime only once its index row commits, after all of these.
    await Promise.all([
      ...renderings.map(async (r, i) => {
        const { path } = refs[i]!;
        if (isInline(path)) return;
        // Content-addressed: two renderings with the same bytes share one blob.
        if (refs.findIndex((x) => x.path === path) !== i) return staged[i]?.discard();
        const s = staged[i];
        if (s) return s.commit(path);
        // Not staged: an existing blob already holds these exact bytes. Reusing it refreshes its time, so
        // garbage collection (which spares young blobs) cannot take it before this artifact's row commits;
        // a store that cannot refresh gets the bytes again.
        const reused = this.blobs.touch ? await this.blobs.touch(path) : false;
        if (!reused) await this.blobs.put(path, r.bytes);
      }),
      this.blobs.put(manifestPath, Buffer.from(JSON.stringify(manifest, null, 2), 'utf8')),
    ]);
  }


  /**
   * Sealed: each rendering's keyed address first (the seal's associated data
   * names it), then a blob already at that address is reused (touched) and
   * not sealed again; otherwise the sealed bytes are written.
   */
  async #storeSealed(
    cipher: ContentCipher, artifactType: string, renderings: readonly EncodedRendering[], tenantId: string,
    metadata: Record<string, unknown>, cover: Cover,
  ): Promise<StoredArtifact> {
    const { envelope } = cipher;
    const artifactId = `${ARTIFACT_ID_PREFIX}${randomUUID()}`;
    const inline: InlineContent[] = [];
    const writes: { path: string; bytes: Uint8Array; ref: RecordRef }[] = [];
    const refs: RenderingRef[] = await Promise.all(renderings.map(async (r) => {
      const inDb = r.bytes.byteLength <= this.#inlineMaxBytes;
      const { hex } = await envelope.keyedHash(r.bytes, cover, BLOB_ADDRESS_PURPOSE);
      const path = `${inDb ? INLINE_PREFIX : ''}${sealedBlobPath(tenantId, hex)}`;
      if (inDb) inline.push({ tenantId, sha256: hex, bytes: await envelope.seal(r.bytes, cover, blobRecord(tenantId, hex)) });
      else if (!writes.some((w) => w.path === path)) writes.push({ path, bytes: r.bytes, ref: blobRecord(tenantId, hex) });
      return { name: r.name, contentType: r.contentType, sha256: hex, sizeBytes: r.bytes.byteLength, path };
    }));
    const sizeBytes = refs.reduce((sum, r) => sum + r.sizeBytes, 0);
    const manifestPath = `tenants/${tenantId}/artifacts/${artifactId}.json`;
    if (inline.length === renderings.length) return { artifactId, storagePath: `${INLINE_PREFIX}${manifestPath}`, renderings: refs, sizeBytes, inline };
    const manifest = JSON.stringify({ artifactId, artifactType, tenantId, renderings: refs, metadata }, null, 2);
    await Promise.all([
      ...writes.map(async (w) => {
        // Reusing a blob refreshes its time, so garbage collection cannot take it before this artifact's row commits.
        if (this.blobs.touch && (await this.blobs.touch(w.path))) return;
        await this.blobs.put(w.path, await envelope.seal(w.bytes, cover, w.ref));
      }),
      (async () => this.blobs.put(manifestPath, await envelope.seal(manifest, cover, manifestRecord(tenantId, artifactId))))(),
    ]);
    return { artifactId, storagePath: manifestPath, renderings: refs, sizeBytes, inline };
  }

  /**
   * Reads one rendering of a tenant's artifact and checks its bytes against
   * the recorded hash; a sealed one (keyed address) is opened instead, which
   * authenticates it for its address.
   * @throws ArtifactStorageError when missing or altered (for a sealed one: when it does not authenticate); KeyDestroyedError (naming the key and the record) when a covering key was destroyed.
   */
  async readRendering(ref: RenderingRef, tenantId: string): Promise<Uint8Array> {
    const stored = isInline(ref.path) ? await this.#readInline(ref, tenantId) : await this.blobs.get(ref.path);
    if (isSealedBlobPath(ref.path)) {
      if (!this.#cipher) throw new ArtifactStorageError(`rendering '${ref.name}' at '${ref.path}' is sealed, and this runtime has no encryption keys to open it`);
      try {
        return await this.#cipher.envelope.open(stored, blobRecord(tenantId, ref.sha256));
      } catch (err) {
        // A destroyed or unreachable key says so; anything else is bytes that do not authenticate for their address.
        if (err instanceof KeyDestroyedError || err instanceof KeyUnavailableError) throw err;
        throw new ArtifactStorageError(
          `rendering '${ref.name}' at '${ref.path}' does not open as sealed for its address (corrupted or altered): ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    const bytes = stored;
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== ref.sha256) {
      throw new ArtifactStorageError(`rendering '${ref.name}' at '${ref.path}' does not match its recorded sha256 (corrupted or altered)`);
    }
    return bytes;
  }

  /**
   * A sealed artifact's manifest, opened (null for an artifact kept in the
   * database, which has no manifest file).
   * @throws KeyDestroyedError when a covering key was destroyed; ArtifactStorageError when the file is missing.
   */
  async readManifest(storagePath: string, tenantId: string, artifactId: string): Promise<Record<string, unknown> | null> {
    if (isInline(storagePath)) return null;
    const bytes = await this.blobs.get(storagePath);
    const text = this.#cipher && isSealed(bytes)
      ? (await this.#cipher.envelope.open(bytes, manifestRecord(tenantId, artifactId))).toString('utf8')
      : Buffer.from(bytes).toString('utf8');
    return JSON.parse(text) as Record<string, unknown>;
  }

  async #readInline(ref: RenderingRef, tenantId: string): Promise<Uint8Array> {
    const bytes = this.#contents ? await this.#contents.get(tenantId, ref.sha256) : null;
    if (!bytes) throw new ArtifactStorageError(`rendering '${ref.name}' at '${ref.path}' is missing from the database`);
    return bytes;
  }
}

/** Where a sealed rendering lives: its keyed address (HMAC-SHA256 hex) under its tenant. */
export function sealedBlobPath(tenantId: string, hex: string): string {
  return `tenants/${tenantId}/hk1/${hex.slice(0, 2)}/${hex}`;
}

const SEALED_PATH = /(^|:)tenants\/[^/]+\/hk1\/[0-9a-f]{2}\/[0-9a-f]{64}$/;
/** True for a keyed (sealed) rendering address, in the blob store or `inline:`. */
export const isSealedBlobPath = (path: string): boolean => SEALED_PATH.test(path);

/** The record a sealed rendering is bound to: its address, so every artifact sharing it opens it. */
function blobRecord(tenantId: string, hex: string): RecordRef {
  return { tenantId, record: `blob:${hex}`, field: 'rendering' };
}

function manifestRecord(tenantId: string, artifactId: string): RecordRef {
  return { tenantId, record: `artifact:${artifactId}`, field: 'manifest' };
}

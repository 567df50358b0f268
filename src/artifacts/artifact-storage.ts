import { createHash, randomUUID, webcrypto } from 'node:crypto';
import { ArtifactStorageError } from '../errors/index.ts';
import type { EncodedRendering } from '../realm/rendering.ts';
import type { RenderingRef } from '../store/artifact-index.ts';
import type { ArtifactContents, InlineContent } from '../store/artifact-contents.ts';
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
}

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
 * stored once per tenant and never shared across tenants; a JSON manifest per
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

  constructor(readonly blobs: BlobStore, options: ArtifactStorageOptions = {}) {
    this.#contents = options.contents;
    this.#inlineMaxBytes = options.contents ? (options.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES) : 0;
  }

  async storeCompositeArtifact(
    artifactType: string,
    renderings: readonly EncodedRendering[],
    tenantId: string,
    metadata: Record<string, unknown>,
  ): Promise<StoredArtifact> {
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


  /** Reads one rendering of a tenant's artifact and checks its bytes against the recorded hash. */
  async readRendering(ref: RenderingRef, tenantId: string): Promise<Uint8Array> {
    const bytes = isInline(ref.path) ? await this.#readInline(ref, tenantId) : await this.blobs.get(ref.path);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== ref.sha256) {
      throw new ArtifactStorageError(`rendering '${ref.name}' at '${ref.path}' does not match its recorded sha256 (corrupted or altered)`);
    }
    return bytes;
  }

  async #readInline(ref: RenderingRef, tenantId: string): Promise<Uint8Array> {
    const bytes = this.#contents ? await this.#contents.get(tenantId, ref.sha256) : null;
    if (!bytes) throw new ArtifactStorageError(`rendering '${ref.name}' at '${ref.path}' is missing from the database`);
    return bytes;
  }
}

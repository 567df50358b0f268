import { createHash, randomUUID } from 'node:crypto';
import { ArtifactStorageError } from '../errors/index.ts';
import type { EncodedRendering } from '../realm/rendering.ts';
import type { RenderingRef } from '../store/artifact-index.ts';
import type { BlobStore } from './blob-store.ts';

/** What {@link ArtifactStorage.storeCompositeArtifact} returns. */
export interface StoredArtifact {
  readonly artifactId: string;
  /** Blob store path of the artifact's manifest (which lists its renderings). */
  readonly storagePath: string;
  readonly renderings: readonly RenderingRef[];
  readonly sizeBytes: number;
}

/** Prefix of artifact ids; lineage recognises ids in intent parameters by it. */
export const ARTIFACT_ID_PREFIX = 'art_';
export const ARTIFACT_ID = /^art_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * General notes: ArtifactStorage turns a composite artifact (several
 * renderings) into blobs. Each rendering is stored content-addressed under
 * its tenant (`tenants/<tenant>/sha256/<ab>/<hash>`), so identical bytes are
 * stored once per tenant and never shared across tenants; a JSON manifest per
 * artifact (`tenants/<tenant>/artifacts/<id>.json`) lists them with the
 * metadata, so the blob store alone can say what an artifact was. It does not
 * decide anything and does not touch the database: the runtime calls it only
 * for `persist` decisions and records the result in the artifact index.
 */
export class ArtifactStorage {
  constructor(readonly blobs: BlobStore) {}

  async storeCompositeArtifact(
    artifactType: string,
    renderings: readonly EncodedRendering[],
    tenantId: string,
    metadata: Record<string, unknown>,
  ): Promise<StoredArtifact> {
    const artifactId = `${ARTIFACT_ID_PREFIX}${randomUUID()}`;
    const refs: RenderingRef[] = renderings.map((r) => {
      const sha256 = createHash('sha256').update(r.bytes).digest('hex');
      return { name: r.name, contentType: r.contentType, sha256, sizeBytes: r.bytes.byteLength, path: `tenants/${tenantId}/sha256/${sha256.slice(0, 2)}/${sha256}` };
    });
    const sizeBytes = refs.reduce((sum, r) => sum + r.sizeBytes, 0);
    const storagePath = `tenants/${tenantId}/artifacts/${artifactId}.json`;
    const manifest = { artifactId, artifactType, tenantId, renderings: refs, metadata };
    // The manifest and the renderings are written (and fsynced) at once: their paths are known from the
    // hashes, and the artifact exists for the runtime only once its index row commits, after all of them.
    await Promise.all([
      ...renderings.map(async (r, i) => {
        const { path } = refs[i]!;
        // Content-addressed: an existing blob already holds these exact bytes (two renderings may share one).
        if (refs.findIndex((x) => x.path === path) === i && !(await this.blobs.exists(path))) await this.blobs.put(path, r.bytes);
      }),
      this.blobs.put(storagePath, Buffer.from(JSON.stringify(manifest, null, 2), 'utf8')),
    ]);
    return { artifactId, storagePath, renderings: refs, sizeBytes };
  }

  /** Reads one rendering and checks its bytes against the recorded hash. */
  async readRendering(ref: RenderingRef): Promise<Uint8Array> {
    const bytes = await this.blobs.get(ref.path);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== ref.sha256) {
      throw new ArtifactStorageError(`rendering '${ref.name}' at '${ref.path}' does not match its recorded sha256 (corrupted or altered)`);
    }
    return bytes;
  }
}

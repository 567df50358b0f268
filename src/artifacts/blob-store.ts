/**
 * Where artifact bytes live. Keys are relative, `/`-separated paths chosen by
 * {@link ArtifactStorage} (content-addressed, under a tenant prefix); a store
 * only moves bytes. Implementations: `fs/` (default) and `s3/`.
 */
export interface BlobStore {
  /** Short name for messages and records, e.g. `fs`. */
  readonly name: string;
  /** Writes `bytes` at `key` durably; writing the same content again is harmless. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Reads the bytes at `key`; rejects with ArtifactStorageError when absent. */
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Removes the bytes at `key`; removing what is not there is harmless (deletion is retried). */
  delete(key: string): Promise<void>;
  /**
   * Optional: starts writing bytes whose key is not known yet — a
   * content-addressed key needs their hash — so the caller hashes them while
   * they are written. Stores without it are written with `put` after hashing.
   */
  stage?(bytes: Uint8Array): StagedBlob;
  /**
   * Optional, for garbage collection: every key in the store (temporary and
   * staged files included) with its last modification time. Stores without
   * it are not garbage-collected.
   */
  list?(): AsyncIterable<BlobListing>;
  /**
   * Optional: refreshes `key`'s modification time; false when it is absent.
   * A content-addressed blob reused by a new artifact is touched, so the
   * garbage collector's grace period covers it until the artifact's index
   * row commits.
   */
  touch?(key: string): Promise<boolean>;
  /**
   * Optional, for garbage collection: removes `key` only when it was last
   * modified before `before` (so a blob written or touched since it was
   * listed stays); true when it was removed.
   */
  deleteIfOlder?(key: string, before: Date): Promise<boolean>;
  /** Releases connections; called once when a runtime that created the store closes. */
  close?(): Promise<void>;
}

/** One key of {@link BlobStore.list}. */
export interface BlobListing {
  readonly key: string;
  readonly modifiedAt: Date;
}

/** Bytes being written by {@link BlobStore.stage}, not yet under a key. */
export interface StagedBlob {
  /** Puts them at `key`, as durably as `put` (replacing what is there: keys are content addresses). */
  commit(key: string): Promise<void>;
  /** Drops them. */
  discard(): Promise<void>;
}

const KEY = /^[A-Za-z0-9._:@-]+(\/[A-Za-z0-9._:@-]+)*$/;

/** Rejects keys that could escape the store's root (`..`, absolute paths, empty segments). */
export function assertSafeKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new TypeError(`unsafe blob key ${JSON.stringify(key)}`);
  }
}

import { isInline } from '../artifacts/artifact-storage.ts';
import type { BlobStore } from '../artifacts/blob-store.ts';
import type { ArtifactContents } from '../store/artifact-contents.ts';
import { groupBy } from '../json/group-by.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.ts';
import type { ArtifactIndex, ArtifactRecord } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import type { DatabaseClock } from '../db/database-clock.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import { WalRecordType, type WalRecordInput, type WriteAheadLog } from '../store/write-ahead-log.ts';
import { collectGarbage, type GarbageCollectionReport } from './garbage-collection.ts';
import type { CheckpointSweepReport } from '../checkpoints/checkpoint-store.ts';

export interface LifecycleDeps {
  readonly db: Db;
  readonly artifactIndex: ArtifactIndex;
  readonly artifactContents: ArtifactContents;
  readonly wal: WriteAheadLog;
  readonly blobs: BlobStore;
  readonly cache: CacheStore;
  /**
   * The database's time (a {@link DatabaseClock}'s `now`): stamps holds,
   * tombstones and purges, and is the cut-off of the cache purge. The
   * retention cut-off is the database's `now()` itself.
   */
  readonly now: () => Date;
  /** Grace period of the sweep's garbage collection, seconds. @default 3600 */
  readonly gcGraceSeconds?: number;
  /** Sweeps expired checkpoints (checkpoints/checkpoint-store.ts). */
  readonly sweepCheckpoints: () => Promise<CheckpointSweepReport>;
}

/** Options of one sweep. */
export interface SweepOptions {
  /** Grace period of its garbage collection, seconds, overriding the runtime's. */
  readonly gcGraceSeconds?: number;
}

/** What one sweep did. */
export interface SweepReport {
  readonly at: string;
  /** Artifacts whose retention ended and whose renderings were deleted (tombstones remain). */
  readonly deleted: readonly { readonly artifactId: string; readonly tenantId: string }[];
  /** Artifacts past retention that a legal hold keeps. */
  readonly held: readonly { readonly artifactId: string; readonly tenantId: string; readonly reason: string }[];
  /** Expired cache entries removed. */
  readonly cacheEntriesExpired: number;
  /** Rendering removals (blobs, rows kept in the database) that failed; retried by the next sweep. */
  readonly failures: readonly { readonly artifactId: string; readonly message: string }[];
  /** Crash leftovers removed from the blob store (see garbage-collection.ts). */
  readonly garbage: GarbageCollectionReport;
  /** LangGraph checkpoints whose retention ended or TTL passed (held threads kept). */
  readonly checkpoints: CheckpointSweepReport;
}

const BATCH = 500;

/**
 * General notes: the artifact lifecycle after materialization — legal holds,
 * deletion with tombstones, and the retention sweep. A deletion is two steps:
 * the tombstone and its WAL record commit first, under the row lock that a
 * legal hold also takes (so a hold always wins a race), then the blobs are
 * removed, retried by later sweeps until they are gone.
 */
export class ArtifactLifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  /** Places (or, with `hold: false`, releases) a legal hold; recorded in the WAL. */
  async setHold(artifactId: string, scope: TenantScope, hold: { reason: string } | false): Promise<ArtifactRecord> {
    if (hold && (typeof hold.reason !== 'string' || hold.reason.trim() === '')) {
      throw new InvalidRequestError('a legal hold needs a reason', [{ path: 'reason', message: 'is required' }]);
    }
    const at = this.d.now().toISOString();
    return this.d.db.scoped(scope).transaction(async (tx) => {
      const before = await this.d.artifactIndex.setHold(tx, artifactId, scope, hold ? { reason: hold.reason.trim(), at } : null);
      if (!before) throw new NotFoundError('artifact', artifactId);
      if (before.deleted) {
        throw new ConflictError(`artifact '${artifactId}' was deleted (${before.deleted.reason}) at ${before.deleted.at}; there is nothing left to hold`);
      }
      if (!hold && !before.legalHold) throw new ConflictError(`artifact '${artifactId}' has no legal hold to release`);
      await this.d.wal.append(tx, [{
        tenantId: before.tenantId, executionId: before.executionId, intentId: before.lineage.intentId,
        recordType: WalRecordType.LEGAL_HOLD,
        payload: hold
          ? { artifactId, action: 'hold', reason: hold.reason.trim() }
          : { artifactId, action: 'release', releasedHold: before.legalHold },
        recordedAt: at,
      }]);
      return {
        ...before,
        legalHold: hold ? { reason: hold.reason.trim(), since: at } : null,
      };
    });
  }

  /**
   * Deletes artifacts' renderings for `reason`, leaving tombstones and one
   * WAL record each. Held artifacts are not touched and are returned as such.
   */
  async delete(artifacts: readonly ArtifactRecord[], reason: string): Promise<{ deleted: ArtifactRecord[]; held: ArtifactRecord[] }> {
    const at = this.d.now().toISOString();
    const deleted: ArtifactRecord[] = [];
    const held: ArtifactRecord[] = [];
    for (const [tenantId, own] of groupBy(artifacts, (a) => a.tenantId)) {
      const marked = await this.d.db.scoped(tenantId).transaction(async (tx) => {
        const ids = await this.d.artifactIndex.markDeleted(tx, own.map((a) => a.artifactId), reason, at);
        const done = own.filter((a) => ids.includes(a.artifactId));
        if (done.length > 0) await this.d.wal.append(tx, done.map((a) => deletedRecord(a, reason, at)));
        return new Set(ids);
      });
      for (const a of own) {
        if (marked.has(a.artifactId)) deleted.push(a);
        else if (a.legalHold) held.push(a);
      }
    }
    return { deleted, held };
  }

  /** Removes the renderings (blobs, database rows) of tombstoned artifacts, keeping content another live artifact of the tenant shares. */
  async purge(limit = BATCH): Promise<{ artifactId: string; message: string }[]> {
    const failures: { artifactId: string; message: string }[] = [];
    const pending = await this.d.artifactIndex.unpurged(limit);
    for (const [tenantId, own] of groupBy(pending, (a) => a.tenantId)) {
      const shared = await this.d.artifactIndex.shasInUse(tenantId, own.flatMap((a) => a.renderings.map((r) => r.sha256)), own.map((a) => a.artifactId));
      const purged: string[] = [];
      const inline = own.flatMap((a) => a.renderings.filter((r) => isInline(r.path) && !shared.has(r.sha256)).map((r) => r.sha256));
      try {
        // Renderings kept in the database: gone with the rows, unless a live artifact uses them by now.
        await this.d.artifactContents.deleteUnused(tenantId, inline);
      } catch (err) {
        for (const a of own) failures.push({ artifactId: a.artifactId, message: (err as Error).message });
        continue;
      }
      for (const a of own) {
        try {
          for (const r of a.renderings) if (!isInline(r.path) && !shared.has(r.sha256)) await this.d.blobs.delete(r.path);
          if (!isInline(a.storagePath)) await this.d.blobs.delete(a.storagePath);
          purged.push(a.artifactId);
        } catch (err) {
          failures.push({ artifactId: a.artifactId, message: (err as Error).message });
        }
      }
      if (purged.length > 0) await this.d.artifactIndex.markPurged(tenantId, purged, this.d.now().toISOString());
    }
    return failures;
  }

  /**
   * One retention sweep: expired artifacts deleted (held ones reported), their
   * blobs removed, expired cache entries dropped, crash leftovers collected.
   * "Expired" is judged by the database's clock, so a host whose clock runs
   * ahead deletes nothing early.
   */
  async sweep(options: SweepOptions = {}): Promise<SweepReport> {
    const now = this.d.now();
    const deleted: SweepReport['deleted'][number][] = [];
    const held: SweepReport['held'][number][] = [];
    for (;;) {
      const expired = await this.d.artifactIndex.expired(BATCH);
      if (expired.length === 0) break;
      const r = await this.delete(expired, 'retention');
      deleted.push(...r.deleted.map((a) => ({ artifactId: a.artifactId, tenantId: a.tenantId })));
      // Held since it was read: the hold won; the next query leaves it out.
      if (r.deleted.length === 0 && r.held.length === 0) break;
    }
    for (const a of await this.d.artifactIndex.expired(10_000, true)) {
      held.push({ artifactId: a.artifactId, tenantId: a.tenantId, reason: a.legalHold?.reason ?? '' });
    }
    const failures: { artifactId: string; message: string }[] = [];
    for (;;) {
      const f = await this.purge();
      failures.push(...f);
      if (f.length > 0 || (await this.d.artifactIndex.unpurged(1)).length === 0) break;
    }
    const cacheEntriesExpired = await this.d.cache.purgeExpired(this.d.now());
    const garbage = await collectGarbage(this.d, options.gcGraceSeconds ?? this.d.gcGraceSeconds);
    const checkpoints = await this.d.sweepCheckpoints();
    return { at: now.toISOString(), deleted, held, cacheEntriesExpired, failures, garbage, checkpoints };
  }
}

function deletedRecord(a: ArtifactRecord, reason: string, at: string): WalRecordInput {
  return {
    tenantId: a.tenantId, executionId: a.executionId, intentId: a.lineage.intentId, recordType: WalRecordType.ARTIFACT_DELETED,
    payload: { artifactId: a.artifactId, resultType: a.resultType, reason, renderings: a.renderings.map((r) => r.name), retainUntil: a.retainUntil },
    recordedAt: at,
  };
}

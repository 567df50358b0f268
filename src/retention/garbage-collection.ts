import { ConfigError } from '../errors/index.ts';
import { MAX_DURATION_SECONDS } from '../policy/duration.ts';
import type { BlobStore } from '../artifacts/blob-store.ts';
import type { Db } from '../db/db.ts';

/** Default grace period: files younger than this are never collected (a write may be in flight). */
export const DEFAULT_GC_GRACE_SECONDS = 3600;

/** What one garbage collection removed. */
export interface GarbageCollectionReport {
  /** False when the blob store cannot list or conditionally delete (then nothing was looked at). */
  readonly supported: boolean;
  readonly graceSeconds: number;
  /** Files looked at. */
  readonly scanned: number;
  /** Content-addressed renderings no index row references. */
  readonly blobsRemoved: number;
  /** Artifact manifests whose artifact has no index row. */
  readonly manifestsRemoved: number;
  /** Temporary and staged files left by interrupted writes. */
  readonly tempFilesRemoved: number;
  /** Files kept because they are younger than the grace period, whether referenced or not (or changed while being removed). */
  readonly keptYoung: number;
  /** Removals that failed; retried by the next sweep. */
  readonly failures: readonly { readonly key: string; readonly message: string }[];
}

export interface GarbageCollectionDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly now: () => Date;
}

/** Checks a grace period (seconds, a finite number ≥ 0). Throws ConfigError naming `source`. */
export function checkGcGrace(seconds: unknown, source: string): number {
  // "Older than now minus the grace" must stay a date: at most 100 years.
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DURATION_SECONDS) {
    throw new ConfigError(`${source} must be a number of seconds from 0 to ${MAX_DURATION_SECONDS}, got ${String(seconds)}`);
  }
  return seconds;
}

const BLOB = /^tenants\/([^/]+)\/(?:sha256|hk1)\/[0-9a-f]{2}\/[0-9a-f]{64}$/;
const MANIFEST = /^tenants\/([^/]+)\/artifacts\/(art_[0-9a-f-]{36})\.json$/;
/** Left by `put` (`<key>.<hex>.tmp`), `stage` (`.staging/<hex>.tmp`) or an interrupted collection (`<key>.<hex>.gc`). */
const TEMP = /(^|\/)\.staging\/[^/]+$|\.[0-9a-f]+\.(tmp|gc)$/;
const BATCH = 500;

/**
 * General notes: removes what crashes leave in the blob store — renderings
 * and manifests written before a process died and never indexed, and
 * temporary or staged files of interrupted writes. A file goes only when
 * (1) it is older than the grace period, (2) no artifact index row that is
 * not purged references it (live, held, or tombstoned and awaiting the
 * purge, which owns those), and (3) the store confirms at removal that it
 * was not written or touched since (`deleteIfOlder`); ArtifactStorage
 * touches a blob it reuses, and writes only under fresh mtimes, so a write in
 * flight is never collected. Keys it does not recognise are left alone.
 * Rendering bytes kept in the database (`artifact_contents`) are not its
 * business: the retention purge removes those rows.
 */
export async function collectGarbage(d: GarbageCollectionDeps, graceSeconds = DEFAULT_GC_GRACE_SECONDS): Promise<GarbageCollectionReport> {
  checkGcGrace(graceSeconds, 'the garbage collection grace period');
  const report = { supported: true, graceSeconds, scanned: 0, blobsRemoved: 0, manifestsRemoved: 0, tempFilesRemoved: 0, keptYoung: 0, failures: [] as { key: string; message: string }[] };
  const { blobs } = d;
  if (!blobs.list || !blobs.deleteIfOlder) return { ...report, supported: false };
  const before = new Date(d.now().getTime() - graceSeconds * 1000);
  const remove = async (key: string, counter: 'blobsRemoved' | 'manifestsRemoved' | 'tempFilesRemoved') => {
    try {
      if (await blobs.deleteIfOlder!(key, before)) report[counter]++;
      else report.keptYoung++;
    } catch (err) {
      report.failures.push({ key, message: (err as Error).message });
    }
  };
  let batch: { key: string; tenantId: string; artifactId?: string }[] = [];
  const flush = async () => {
    const unreferenced = await unreferencedOf(d.db, batch);
    batch = [];
    for (const c of unreferenced) await remove(c.key, c.artifactId ? 'manifestsRemoved' : 'blobsRemoved');
  };
  for await (const { key, modifiedAt } of blobs.list()) {
    report.scanned++;
    const temp = TEMP.test(key);
    const blob = BLOB.exec(key);
    const manifest = MANIFEST.exec(key);
    if (!temp && !blob && !manifest) continue;
    if (modifiedAt >= before) {
      report.keptYoung++;
      continue;
    }
    if (temp) await remove(key, 'tempFilesRemoved');
    else if (blob) batch.push({ key, tenantId: blob[1]! });
    else if (manifest) batch.push({ key, tenantId: manifest[1]!, artifactId: manifest[2]! });
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return report;
}

/** The candidates no unpurged index row of their tenant references (renderings by path, manifests by artifact id). */
async function unreferencedOf<T extends { key: string; tenantId: string; artifactId?: string }>(db: Db, candidates: readonly T[]): Promise<T[]> {
  const byTenant = new Map<string, T[]>();
  for (const c of candidates) byTenant.set(c.tenantId, [...(byTenant.get(c.tenantId) ?? []), c]);
  const out: T[] = [];
  for (const [tenantId, own] of byTenant) {
    const paths = own.filter((c) => !c.artifactId).map((c) => c.key);
    const ids = own.flatMap((c) => (c.artifactId ? [c.artifactId] : []));
    const rows = await db.scoped(tenantId).query<{ ref: string }>(
      `SELECT r->>'path' AS ref
         FROM symphainy.artifacts a, jsonb_array_elements(a.renderings) r
        WHERE a.tenant_id = $1 AND a.purged_at IS NULL AND r->>'path' = ANY($2::text[])
       UNION
       SELECT artifact_id AS ref FROM symphainy.artifacts
        WHERE tenant_id = $1 AND purged_at IS NULL AND artifact_id = ANY($3::text[])`,
      [tenantId, paths, ids],
    );
    const referenced = new Set(rows.map((r) => r.ref));
    for (const c of own) if (!referenced.has(c.artifactId ?? c.key)) out.push(c);
  }
  return out;
}

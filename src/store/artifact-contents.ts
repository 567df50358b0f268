import type { Db, Queryable } from '../db/db.ts';
import { insertMany } from '../db/sql.ts';

/** Rendering bytes kept in the database: one row per tenant and content hash. */
export interface InlineContent {
  readonly tenantId: string;
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

const COLUMNS = [{ name: 'tenant_id' }, { name: 'sha256' }, { name: 'bytes' }] as const;

/**
 * General notes: the `artifact_contents` table holds renderings small enough
 * to live in the database (migration 11), content-addressed per tenant like
 * blobs. They are written in the transaction that writes their artifact's
 * index row, so a small persisted artifact costs rows, not files and fsyncs.
 */
export class ArtifactContents {
  constructor(private readonly db: Db) {}

  /**
   * Within the index row's transaction. Content already there is locked
   * (touched) instead of written again, so a purge cannot remove it before
   * this transaction's index row is visible to it.
   */
  async insert(q: Queryable, contents: readonly InlineContent[]): Promise<void> {
    // One row per (tenant, hash): a statement may touch a row only once.
    const unique = [...new Map(contents.map((c) => [`${c.tenantId}\n${c.sha256}`, c])).values()];
    if (unique.length === 0) return;
    await insertMany(q, 'symphainy.artifact_contents', COLUMNS, unique.map((c) => [c.tenantId, c.sha256, c.bytes]), (insert) =>
      `${insert} ON CONFLICT (tenant_id, sha256) DO UPDATE SET sha256 = EXCLUDED.sha256`);
  }

  async get(tenantId: string, sha256: string): Promise<Uint8Array | null> {
    const rows = await this.db.scoped(tenantId).query<{ bytes: Uint8Array }>(
      'SELECT bytes FROM symphainy.artifact_contents WHERE tenant_id = $1 AND sha256 = $2',
      [tenantId, sha256],
    );
    return rows[0]?.bytes ?? null;
  }

  /**
   * Removes a tenant's contents no live (not deleted) artifact uses any more.
   * The rows are locked first, which waits for a transaction writing the same
   * content for a new artifact; the check after it then sees that artifact.
   */
  async deleteUnused(tenantId: string, sha256s: readonly string[]): Promise<void> {
    if (sha256s.length === 0) return;
    await this.db.scoped(tenantId).transaction(async (tx) => {
      await tx.query('SELECT 1 FROM symphainy.artifact_contents WHERE tenant_id = $1 AND sha256 = ANY($2::text[]) FOR UPDATE', [tenantId, sha256s]);
      await tx.query(
        `DELETE FROM symphainy.artifact_contents c
          WHERE c.tenant_id = $1 AND c.sha256 = ANY($2::text[])
            AND NOT EXISTS (SELECT 1 FROM symphainy.artifacts a
                             WHERE a.tenant_id = c.tenant_id AND a.deleted_at IS NULL
                               AND a.renderings @> jsonb_build_array(jsonb_build_object('sha256', c.sha256)))`,
        [tenantId, sha256s],
      );
    });
  }
}

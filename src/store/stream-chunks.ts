import type { Db } from '../db/db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';

/** One chunk of partial output, as readers of an execution's stream get it. */
export interface StreamChunk {
  /** Increases with every chunk (of every execution): the SSE event id readers resume after. */
  readonly seq: number;
  /** A string, or a plain JSON object, as `ctx.emit` was given it. */
  readonly chunk: unknown;
  readonly emittedAt: string;
}

/**
 * General notes: owns the `stream_chunks` table (migration 17): the partial
 * output of executions (`ctx.emit`). Each chunk is its own short tenant-scoped
 * transaction, so readers on any runtime sharing the store see it at once;
 * they are derived data, deleted when the execution ends unless the policy
 * keeps them.
 */
export class StreamChunks {
  constructor(private readonly db: Db) {}

  /** Appends one chunk; returns its seq. */
  async append(tenantId: string, executionId: string, chunk: unknown): Promise<number> {
    const rows = await this.db.scoped(tenantId).query<{ seq: number | string }>(
      'INSERT INTO symphainy.stream_chunks (tenant_id, execution_id, chunk) VALUES ($1, $2, $3::jsonb) RETURNING seq',
      [tenantId, executionId, JSON.stringify(chunk)],
    );
    return Number(rows[0]!.seq);
  }

  /** The execution's chunks after `afterSeq` (0: from the first), oldest first, at most `limit`. */
  async list(tenant: TenantScope, executionId: string, afterSeq = 0, limit = 500): Promise<StreamChunk[]> {
    const rows = await this.db.scoped(tenant).query<{ seq: number | string; chunk: unknown; emitted_at: Date | string }>(
      `SELECT seq, chunk, emitted_at FROM symphainy.stream_chunks
        WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [executionId, afterSeq, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), chunk: r.chunk, emittedAt: new Date(r.emitted_at).toISOString() }));
  }

  /** Deletes every chunk of the execution; returns how many there were. */
  async delete(tenantId: string, executionId: string): Promise<number> {
    const rows = await this.db.scoped(tenantId).query('DELETE FROM symphainy.stream_chunks WHERE execution_id = $1 RETURNING seq', [executionId]);
    return rows.length;
  }
}

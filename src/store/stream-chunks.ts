import type { Db } from '../db/db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import type { CoveredExecution } from '../crypto/content-cipher.ts';
import { openValue, type RecordCipher } from './record-cipher.ts';

const streamRecordName = (executionId: string): string => `execution:${executionId}/stream`;

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
  /** `cipher`: seals chunks under the execution's cover (encryption on) and opens them on read. */
  constructor(private readonly db: Db, private readonly cipher?: RecordCipher) {}

  /** Appends one chunk of an execution (its tenant, session and parameters make its cover); returns its seq. */
  async append(at: CoveredExecution & { readonly executionId: string }, chunk: unknown): Promise<number> {
    const { tenantId, executionId } = at;
    if (this.cipher) chunk = await this.cipher.seal(chunk, this.cipher.cover(at), streamRecordName(executionId), 'chunk');
    const rows = await this.db.scoped(tenantId).query<{ seq: number | string }>(
      'INSERT INTO symphainy.stream_chunks (tenant_id, execution_id, chunk) VALUES ($1, $2, $3::jsonb) RETURNING seq',
      [tenantId, executionId, JSON.stringify(chunk)],
    );
    return Number(rows[0]!.seq);
  }

  /** The execution's chunks after `afterSeq` (0: from the first), oldest first, at most `limit`. */
  async list(tenant: TenantScope, executionId: string, afterSeq = 0, limit = 500): Promise<StreamChunk[]> {
    const rows = await this.db.scoped(tenant).query<{ seq: number | string; chunk: unknown; emitted_at: Date | string }>(
      `SELECT seq, tenant_id, chunk, emitted_at FROM symphainy.stream_chunks
        WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [executionId, afterSeq, limit],
    );
    return Promise.all(rows.map(async (r) => ({
      seq: Number(r.seq),
      chunk: await openValue(this.cipher, r.chunk, (r as { tenant_id?: string }).tenant_id ?? '', streamRecordName(executionId), 'chunk'),
      emittedAt: new Date(r.emitted_at).toISOString(),
    })));
  }

  /** Deletes every chunk of the execution; returns how many there were. */
  async delete(tenantId: string, executionId: string): Promise<number> {
    const rows = await this.db.scoped(tenantId).query('DELETE FROM symphainy.stream_chunks WHERE execution_id = $1 RETURNING seq', [executionId]);
    return rows.length;
  }
}

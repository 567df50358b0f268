import type { Db, Queryable } from './db.ts';
import { insertMany, iso, tenantParam, type TenantScope } from './sql.ts';

/** Kinds of WAL record: the platform-native records the runtime always keeps. */
export const WalRecordType = {
  /** An accepted intent, written before its handler runs. */
  INTENT: 'intent',
  /** An intent refused before execution (unknown type, bad parameters); no execution exists. */
  INTENT_REJECTED: 'intent_rejected',
  /** A step of an execution's journey (`from` → `to`). */
  STATE_TRANSITION: 'state_transition',
  /** A materialization decision for one artifact, with its layer, reason, policy version and outcome. */
  GOVERNANCE_DECISION: 'governance_decision',
} as const;
export type WalRecordType = (typeof WalRecordType)[keyof typeof WalRecordType];

export interface WalRecordInput {
  readonly tenantId: string;
  readonly executionId: string | null;
  readonly intentId: string | null;
  readonly recordType: WalRecordType;
  readonly payload: Record<string, unknown>;
  readonly recordedAt: string;
}

export interface WalRecord extends WalRecordInput {
  /** Position in the log; increases with every append. */
  readonly seq: number;
}

export interface WalQuery {
  readonly tenantId: TenantScope;
  readonly executionId?: string;
  readonly recordType?: WalRecordType;
  /** Only records after this position (for paging). */
  readonly afterSeq?: number;
  /** @default 1000 */
  readonly limit?: number;
}

const COLUMNS = [
  { name: 'tenant_id' },
  { name: 'execution_id' },
  { name: 'intent_id' },
  { name: 'record_type' },
  { name: 'payload', json: true },
  { name: 'recorded_at' },
] as const;

/**
 * General notes: the write-ahead log is append-only. It owns the `wal` table
 * and nothing else; callers pass the transaction the records belong to, so
 * a record commits together with the state change it describes.
 */
export class WriteAheadLog {
  constructor(private readonly db: Db) {}

  /** Appends records, in order, within `q`: a transaction (or a {@link Db.scoped} view) of their tenant. */
  async append(q: Queryable, records: readonly WalRecordInput[]): Promise<void> {
    await insertMany(
      q,
      'symphainy.wal',
      COLUMNS,
      records.map((r) => [r.tenantId, r.executionId, r.intentId, r.recordType, r.payload, r.recordedAt]),
    );
  }

  async list(query: WalQuery): Promise<WalRecord[]> {
    const rows = await this.db.scoped(query.tenantId).query<Record<string, unknown>>(
      `SELECT seq, tenant_id, execution_id, intent_id, record_type, payload, recorded_at
         FROM symphainy.wal
        WHERE ($1::text IS NULL OR tenant_id = $1)
          AND ($2::text IS NULL OR execution_id = $2)
          AND ($3::text IS NULL OR record_type = $3)
          AND seq > $4
        ORDER BY seq
        LIMIT $5`,
      [tenantParam(query.tenantId), query.executionId ?? null, query.recordType ?? null, query.afterSeq ?? 0, query.limit ?? 1000],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      tenantId: r.tenant_id as string,
      executionId: (r.execution_id as string | null) ?? null,
      intentId: (r.intent_id as string | null) ?? null,
      recordType: r.record_type as WalRecordType,
      payload: r.payload as Record<string, unknown>,
      recordedAt: iso(r.recorded_at)!,
    }));
  }
}

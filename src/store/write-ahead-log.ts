import { inOrder, type Db, type Queryable } from '../db/db.ts';
import { tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { iso } from '../db/sql.ts';
import { contentSha256 } from './wal-chain.ts';
import { groupBy } from '../json/group-by.ts';
import { openWalPayload, walRecordName, type RecordCipher } from './record-cipher.ts';

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
  /** A legal hold placed on or released from an artifact, with its reason. */
  LEGAL_HOLD: 'legal_hold',
  /** An artifact's renderings deleted (retention, retroactive policy, erasure); its index row stays as a tombstone. */
  ARTIFACT_DELETED: 'artifact_deleted',
  /** An erasure: its scope and what it removed (counts and ids, never content). */
  ERASURE: 'erasure',
  /** A policy made active (`policy apply`), with what a retroactive apply changed; tenant `symphainy:platform`. */
  POLICY_APPLIED: 'policy_applied',
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

/** Hashes and inserts one tenant's records and moves its chain head (migration 10). */
const APPEND = 'SELECT symphainy.wal_append($1, $2::jsonb)';

/**
 * General notes: the write-ahead log is append-only. It owns the `wal` table
 * and nothing else; callers pass the transaction the records belong to, so
 * a record commits together with the state change it describes.
 */
export class WriteAheadLog {
  /** `cipher`: opens sealed content fields on read; writers seal them before the append (see record-cipher.ts). */
  constructor(private readonly db: Db, private readonly cipher?: RecordCipher) {}

  /**
   * Appends records, in order, within `q`: a transaction (or a {@link Db.scoped}
   * view) of their tenant. Each tenant's records extend its hash chain in one
   * statement (`symphainy.wal_append`, migration 10): the chain head row is
   * locked there until commit, so a tenant's appends are chained in the order
   * they commit. No answer is waited for between statements, so the append
   * travels with the rest of its transaction.
   */
  async append(q: Queryable, records: readonly WalRecordInput[]): Promise<void> {
    // Chain heads are locked in tenant order, so transactions appending for several tenants (a worker's
    // claim) cannot deadlock each other.
    const byTenant = [...groupBy(records, (r) => r.tenantId)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await inOrder(
      byTenant.map(([tenantId, own]) =>
        q.query(APPEND, [
          tenantId,
          JSON.stringify(
            own.map((r) => ({
              execution_id: r.executionId, intent_id: r.intentId, record_type: r.recordType, payload: r.payload,
              recorded_at: r.recordedAt, content_sha256: contentSha256(r.payload),
            })),
          ),
        ]),
      ),
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
    return Promise.all(rows.map(async (r) => {
      const record = {
        seq: Number(r.seq),
        tenantId: r.tenant_id as string,
        executionId: (r.execution_id as string | null) ?? null,
        intentId: (r.intent_id as string | null) ?? null,
        recordType: r.record_type as WalRecordType,
        payload: r.payload as Record<string, unknown>,
        recordedAt: iso(r.recorded_at)!,
      };
      return { ...record, payload: await openWalPayload(this.cipher, record.payload, record.tenantId, walRecordName(record)) };
    }));
  }
}

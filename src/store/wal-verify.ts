import type { Db } from '../db/db.ts';
import { tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { iso } from '../db/sql.ts';
import { contentSha256, GENESIS_SHA256, isRedacted, recordSha256 } from './wal-chain.ts';

/** What went wrong first in a tenant's chain. */
export type ChainProblemKind = 'content-altered' | 'record-altered' | 'missing' | 'reordered' | 'truncated';

export interface ChainReport {
  readonly tenantId: string;
  readonly ok: boolean;
  /** Records checked in the chain. */
  readonly records: number;
  /** Records written before the log was chained (they carry no hashes), skipped. */
  readonly unchained: number;
  /** The hash of the last record: print it, keep it elsewhere, compare it later. */
  readonly headSha256: string | null;
  readonly problem?: { readonly seq: number | null; readonly kind: ChainProblemKind; readonly message: string };
}

const PAGE = 2000;

/**
 * Walks each tenant's WAL in order and checks every record against its
 * hashes and its predecessor, then the chain head; reports the first record
 * whose content, fields, order or presence was altered.
 */
export async function verifyWal(db: Db, scope: TenantScope): Promise<ChainReport[]> {
  const q = db.scoped(scope);
  const tenants = await q.query<{ tenant_id: string }>(
    `SELECT tenant_id FROM symphainy.wal WHERE ($1::text IS NULL OR tenant_id = $1)
      UNION SELECT tenant_id FROM symphainy.wal_chain_heads WHERE ($1::text IS NULL OR tenant_id = $1)
      ORDER BY tenant_id`,
    [tenantParam(scope)],
  );
  const reports: ChainReport[] = [];
  for (const { tenant_id: tenantId } of tenants) reports.push(await verifyTenant(db, tenantId));
  return reports;
}

async function verifyTenant(db: Db, tenantId: string): Promise<ChainReport> {
  const q = db.scoped(tenantId);
  let prev = GENESIS_SHA256;
  let records = 0;
  let unchained = 0;
  let lastSeq: number | null = null;
  const fail = (seq: number | null, kind: ChainProblemKind, message: string): ChainReport => ({
    tenantId, ok: false, records, unchained, headSha256: prev === GENESIS_SHA256 ? null : prev, problem: { seq, kind, message },
  });
  for (let after = 0; ; ) {
    const rows = await q.query<Record<string, unknown>>(
      `SELECT seq, execution_id, intent_id, record_type, payload, recorded_at, content_sha256, prev_sha256, record_sha256
         FROM symphainy.wal WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [tenantId, after, PAGE],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      after = seq;
      if (r.record_sha256 === null) {
        if (records === 0) {
          unchained++;
          continue;
        }
        return fail(seq, 'record-altered', `record seq ${seq} has lost its hashes`);
      }
      const stored = { content: r.content_sha256 as string, prev: r.prev_sha256 as string, hash: r.record_sha256 as string };
      if (!isRedacted(r.payload) && contentSha256(r.payload) !== stored.content) {
        return fail(seq, 'content-altered', `the content of record seq ${seq} was altered`);
      }
      const fields = {
        tenantId, executionId: (r.execution_id as string | null) ?? null, intentId: (r.intent_id as string | null) ?? null,
        recordType: r.record_type as string, recordedAt: iso(r.recorded_at)!,
      };
      if (recordSha256(stored.prev, fields, stored.content) !== stored.hash) {
        return fail(seq, 'record-altered', `record seq ${seq} was altered (its fields or hashes no longer match)`);
      }
      if (stored.prev !== prev) {
        const [moved] = await q.query<{ seq: string | number }>(
          'SELECT seq FROM symphainy.wal WHERE tenant_id = $1 AND record_sha256 = $2',
          [tenantId, stored.prev],
        );
        const where = lastSeq === null ? 'at the start of the log' : `after seq ${lastSeq}`;
        return moved
          ? fail(seq, 'reordered', `record seq ${seq} is out of order: it follows seq ${Number(moved.seq)} in the chain but stands ${where}`)
          : fail(seq, 'missing', `a record is missing before seq ${seq} (${where}): the record it follows is gone`);
      }
      prev = stored.hash;
      lastSeq = seq;
      records++;
    }
    if (rows.length < PAGE) break;
  }
  const [head] = await q.query<{ last_sha256: string; records: string | number }>(
    'SELECT last_sha256, records FROM symphainy.wal_chain_heads WHERE tenant_id = $1',
    [tenantId],
  );
  if (records > 0 && !head) return fail(null, 'truncated', 'the chain head is missing');
  if (head && (head.last_sha256 !== (records === 0 ? GENESIS_SHA256 : prev) || Number(head.records) !== records)) {
    return fail(null, 'truncated', `records are missing at the end: the chain head holds ${Number(head.records)} records, the log ${records}${lastSeq === null ? '' : ` (last seq ${lastSeq})`}`);
  }
  return { tenantId, ok: true, records, unchained, headSha256: records === 0 ? null : prev };
}

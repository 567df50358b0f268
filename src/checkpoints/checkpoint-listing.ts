import type { Db } from '../db/db.ts';
import { iso, type PageKey } from '../db/sql.ts';
import type { PolicyLayer } from '../policy/decision.ts';
import { LIVE, type CheckpointKey } from './checkpoint-store.ts';

/**
 * One stored checkpoint as an operator sees it: where it is, when it was
 * stored and what the policy decided. Never its content — the checkpoint,
 * its metadata, channel values and writes are sealed tenant data.
 */
export interface CheckpointSummary extends CheckpointKey {
  readonly parentCheckpointId: string | null;
  /** When it was stored (database clock, to the millisecond). */
  readonly createdAt: string;
  readonly decision: 'persist' | 'cache';
  /** From its `governance_decision` WAL record; null only if that record is missing. */
  readonly layer: PolicyLayer | null;
  readonly reason: string | null;
  readonly policyVersion: string | null;
  /** persist with retention: when the sweep may delete it. */
  readonly retainUntil: string | null;
  /** cache: when it becomes unreadable. */
  readonly expiresAt: string | null;
}

/** A thread of a tenant: its legal hold and a page of its checkpoints. */
export interface CheckpointThread {
  readonly threadId: string;
  readonly legalHold: { readonly reason: string; readonly since: string } | null;
  readonly checkpoints: readonly CheckpointSummary[];
}

/** Whether the tenant has the thread: a stored checkpoint (live or not yet swept), a pending write or a legal hold. */
export async function threadExists(db: Db, tenantId: string, threadId: string): Promise<boolean> {
  const rows = await db.scoped(tenantId).query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM symphainy.checkpoints WHERE tenant_id = $1 AND thread_id = $2)
         OR EXISTS (SELECT 1 FROM symphainy.checkpoint_writes WHERE tenant_id = $1 AND thread_id = $2)
         OR EXISTS (SELECT 1 FROM symphainy.checkpoint_holds WHERE tenant_id = $1 AND thread_id = $2) AS known`,
    [tenantId, threadId],
  );
  return rows[0]?.known === true;
}

/**
 * A page of a thread's readable checkpoints (every namespace), newest stored
 * first, after `before` (the previous page's last `createdAt` and id). The
 * sort key is truncated to the millisecond, as a page key carries it; within
 * one millisecond uuid6 ids keep the order. The decisions come from the WAL
 * in one query for the page. Reads no sealed column.
 */
export async function listThreadCheckpoints(
  db: Db, tenantId: string, threadId: string, limit: number, before?: PageKey,
): Promise<CheckpointSummary[]> {
  const q = db.scoped(tenantId);
  const rows = await q.query<{
    checkpoint_ns: string; checkpoint_id: string; parent_checkpoint_id: string | null; created_at: unknown;
    decision: 'persist' | 'cache'; retain_until: unknown; expires_at: unknown;
  }>(
    `SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, date_trunc('milliseconds', c.created_at) AS created_at,
            c.decision, c.retain_until, c.expires_at
       FROM symphainy.checkpoints c
      WHERE c.tenant_id = $1 AND c.thread_id = $2 AND ${LIVE}
        AND ($3::timestamptz IS NULL OR (date_trunc('milliseconds', c.created_at), c.checkpoint_id) < ($3::timestamptz, $4::text))
      ORDER BY date_trunc('milliseconds', c.created_at) DESC, c.checkpoint_id DESC, c.checkpoint_ns
      LIMIT $5`,
    [tenantId, threadId, before?.at ?? null, before?.id ?? null, limit],
  );
  if (rows.length === 0) return [];
  const recorded = await q.query<{ checkpoint_ns: string; checkpoint_id: string; layer: PolicyLayer; reason: string; policy_version: string }>(
    `SELECT DISTINCT ON (payload->>'checkpointNs', payload->>'checkpointId')
            payload->>'checkpointNs' AS checkpoint_ns, payload->>'checkpointId' AS checkpoint_id,
            payload->>'layer' AS layer, payload->>'reason' AS reason, payload->>'policyVersion' AS policy_version
       FROM symphainy.wal
      WHERE tenant_id = $1 AND record_type = 'governance_decision' AND payload->>'kind' = 'checkpoint'
        AND payload->>'threadId' = $2 AND payload->>'checkpointId' = ANY($3::text[])
      ORDER BY payload->>'checkpointNs', payload->>'checkpointId', seq DESC`,
    [tenantId, threadId, [...new Set(rows.map((r) => r.checkpoint_id))]],
  );
  const key = (ns: string, id: string) => JSON.stringify([ns, id]);
  const decisions = new Map(recorded.map((r) => [key(r.checkpoint_ns, r.checkpoint_id), r]));
  return rows.map((r) => {
    const d = decisions.get(key(r.checkpoint_ns, r.checkpoint_id));
    return {
      threadId, checkpointNs: r.checkpoint_ns, checkpointId: r.checkpoint_id, parentCheckpointId: r.parent_checkpoint_id,
      createdAt: iso(r.created_at)!, decision: r.decision,
      layer: d?.layer ?? null, reason: d?.reason ?? null, policyVersion: d?.policy_version ?? null,
      retainUntil: iso(r.retain_until), expiresAt: iso(r.expires_at),
    };
  });
}

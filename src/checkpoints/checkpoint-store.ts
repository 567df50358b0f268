import type { Db, Queryable } from '../db/db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import { iso } from '../db/sql.ts';
import type { ContentCipher } from '../crypto/content-cipher.ts';
import type { SubjectRef } from '../crypto/scope.ts';
import { fromStored, toStored, type ContentScope, type TypedContent } from './checkpoint-content.ts';

/** Where a checkpoint lives: a thread of the tenant, and a namespace within it (`''` for the root graph, a subgraph's path otherwise). */
export interface CheckpointKey {
  readonly threadId: string;
  readonly checkpointNs: string;
  readonly checkpointId: string;
}

/** What {@link CheckpointStore.put} stores for one checkpoint. */
export interface CheckpointInput extends CheckpointKey {
  readonly parentCheckpointId: string | null;
  readonly channelVersions: Readonly<Record<string, string | number>>;
  /** The checkpoint without its channel values (those are `blobs`). */
  readonly checkpoint: TypedContent;
  readonly metadata: TypedContent;
  /** Channel values at their new versions; `value` null: the channel is empty at that version. */
  readonly blobs: readonly { readonly channel: string; readonly version: string; readonly value: TypedContent | null }[];
  /** Digests of `key=value` pairs an erasure by subject finds this checkpoint by (keyed when encryption is on). */
  readonly subjectHashes: readonly string[];
  /** Declared subjects the checkpoint names: their keys cover its sealed content too. */
  readonly subjects?: readonly SubjectRef[];
}

/** How long a stored checkpoint lives (from the policy's decision). */
export interface CheckpointLifetime {
  readonly decision: 'persist' | 'cache';
  readonly retentionSeconds?: number;
  readonly ttlSeconds?: number;
  readonly keepLatest?: number;
}

/** One pending write of a task, as stored. */
export interface StoredWrite {
  readonly taskId: string;
  readonly idx: number;
  readonly channel: string;
  readonly taskPath: string;
  readonly value: TypedContent;
}

/** A stored checkpoint, decoded, with its channel values and pending writes. */
export interface StoredCheckpoint extends CheckpointKey {
  readonly parentCheckpointId: string | null;
  readonly checkpoint: TypedContent;
  readonly metadata: TypedContent;
  readonly channelValues: readonly { readonly channel: string; readonly value: TypedContent }[];
  readonly pendingWrites: readonly StoredWrite[];
  readonly decision: 'persist' | 'cache';
  readonly retainUntil: string | null;
  readonly expiresAt: string | null;
}

/** What {@link CheckpointStore.list} selects; absent fields match everything. */
export interface CheckpointSelection {
  readonly threadId?: string;
  readonly checkpointNs?: string;
  readonly checkpointId?: string;
  /** Only checkpoints older than this id. */
  readonly before?: string;
}

interface Row {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  checkpoint: Uint8Array;
  metadata: Uint8Array;
  decision: 'persist' | 'cache';
  retain_until: unknown;
  expires_at: unknown;
}

/** A checkpoint is readable unless its cache TTL passed (a legal hold keeps even that readable). */
export const LIVE = `(c.expires_at IS NULL OR c.expires_at > now()
  OR EXISTS (SELECT 1 FROM symphainy.checkpoint_holds h WHERE h.tenant_id = c.tenant_id AND h.thread_id = c.thread_id))`;
const HELD = (alias: string) =>
  `EXISTS (SELECT 1 FROM symphainy.checkpoint_holds h WHERE h.tenant_id = ${alias}.tenant_id AND h.thread_id = ${alias}.thread_id)`;
const COLUMNS = 'c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.checkpoint, c.metadata, c.decision, c.retain_until, c.expires_at';

/**
 * General notes: one tenant's LangGraph checkpoints in the runtime's store
 * (migration 18): checkpoints, channel values shared between the checkpoints
 * of a thread (stored once per channel version), and pending writes. Every
 * statement runs scoped to the tenant, so row-level security admits only its
 * rows on a server. It does not decide what is kept (checkpoint-governance.ts
 * does) and knows nothing of LangGraph's types; content passes through
 * checkpoint-content.ts both ways.
 */
export class CheckpointStore {
  constructor(
    private readonly db: Db,
    readonly tenantId: string,
    /** Seals content at rest (encryption on); absent: stored in clear. */
    private readonly cipher?: ContentCipher,
  ) {}

  /** How one thread's content is sealed and opened. */
  #scope(threadId: string, subjects?: readonly SubjectRef[]): ContentScope {
    return { tenantId: this.tenantId, threadId, ...(this.cipher ? { cipher: this.cipher } : {}), ...(subjects ? { subjects } : {}) };
  }

  /**
   * Within `tx` (scoped to the tenant): stores a checkpoint (replacing one
   * with the same key) and the channel values it introduces, then, under
   * `keepLatest`, prunes the thread namespace's older checkpoints unless the
   * thread is held. Returns how many checkpoints were pruned.
   */
  async put(tx: Queryable, input: CheckpointInput, lifetime: CheckpointLifetime): Promise<number> {
    const scope = this.#scope(input.threadId, input.subjects);
    const [checkpoint, metadata] = await Promise.all([toStored(scope, input.checkpoint), toStored(scope, input.metadata)]);
    await tx.query(
      `INSERT INTO symphainy.checkpoints (tenant_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_versions,
                                          checkpoint, metadata, subject_hashes, decision, retain_until, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::text[], $10,
               now() + $11::double precision * interval '1 second', now() + $12::double precision * interval '1 second')
       ON CONFLICT (tenant_id, thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
         parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, channel_versions = EXCLUDED.channel_versions,
         checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata, subject_hashes = EXCLUDED.subject_hashes,
         decision = EXCLUDED.decision, retain_until = EXCLUDED.retain_until, expires_at = EXCLUDED.expires_at`,
      [
        this.tenantId, input.threadId, input.checkpointNs, input.checkpointId, input.parentCheckpointId, JSON.stringify(input.channelVersions),
        checkpoint, metadata, input.subjectHashes, lifetime.decision,
        lifetime.decision === 'persist' ? (lifetime.retentionSeconds ?? null) : null,
        lifetime.decision === 'cache' ? (lifetime.ttlSeconds ?? null) : null,
      ],
    );
    if (input.blobs.length > 0) {
      const values = await Promise.all(input.blobs.map((b) => (b.value === null ? null : toStored(scope, b.value))));
      await tx.query(
        `INSERT INTO symphainy.checkpoint_blobs (tenant_id, thread_id, checkpoint_ns, channel, version, blob)
         SELECT $1, $2, $3, b.channel, b.version, b.blob FROM unnest($4::text[], $5::text[], $6::bytea[]) AS b(channel, version, blob)
         ON CONFLICT (tenant_id, thread_id, checkpoint_ns, channel, version) DO NOTHING`,
        [this.tenantId, input.threadId, input.checkpointNs, input.blobs.map((b) => b.channel), input.blobs.map((b) => b.version), values],
      );
    }
    if (lifetime.keepLatest === undefined) return 0;
    const pruned = await tx.query<{ checkpoint_id: string }>(
      `DELETE FROM symphainy.checkpoints c
        WHERE c.tenant_id = $1 AND c.thread_id = $2 AND c.checkpoint_ns = $3 AND NOT ${HELD('c')}
          AND c.checkpoint_id NOT IN (SELECT checkpoint_id FROM symphainy.checkpoints
                                       WHERE tenant_id = $1 AND thread_id = $2 AND checkpoint_ns = $3
                                       ORDER BY checkpoint_id DESC LIMIT $4)
       RETURNING c.checkpoint_id`,
      [this.tenantId, input.threadId, input.checkpointNs, lifetime.keepLatest],
    );
    if (pruned.length > 0) {
      await this.#dropWritesAndBlobs(tx, input.threadId, input.checkpointNs, pruned.map((r) => r.checkpoint_id));
    }
    return pruned.length;
  }

  /**
   * Stores writes of one task against a checkpoint. With `replace`, writes
   * at the same (task, idx) are overwritten (special channels such as
   * errors and interrupts); otherwise the first write wins, so a replayed
   * task cannot change what was recorded.
   */
  async putWrites(key: CheckpointKey, writes: readonly StoredWrite[], replace: boolean, subjects?: readonly SubjectRef[]): Promise<void> {
    if (writes.length === 0) return;
    const scope = this.#scope(key.threadId, subjects);
    const values = await Promise.all(writes.map((w) => toStored(scope, w.value)));
    await this.db.scoped(this.tenantId).query(
      `INSERT INTO symphainy.checkpoint_writes (tenant_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, task_path, value)
       SELECT $1, $2, $3, $4, w.task_id, w.idx, w.channel, w.task_path, w.value
         FROM unnest($5::text[], $6::integer[], $7::text[], $8::text[], $9::bytea[]) AS w(task_id, idx, channel, task_path, value)
       ON CONFLICT (tenant_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO ${
         replace ? 'UPDATE SET channel = EXCLUDED.channel, task_path = EXCLUDED.task_path, value = EXCLUDED.value' : 'NOTHING'
       }`,
      [
        this.tenantId, key.threadId, key.checkpointNs, key.checkpointId,
        writes.map((w) => w.taskId), writes.map((w) => w.idx), writes.map((w) => w.channel), writes.map((w) => w.taskPath), values,
      ],
    );
  }

  /** One checkpoint, or the thread namespace's latest when `checkpointId` is absent; undefined when there is none. */
  async get(threadId: string, checkpointNs: string, checkpointId: string | undefined): Promise<StoredCheckpoint | undefined> {
    const rows = await this.db.scoped(this.tenantId).query<Row>(
      `SELECT ${COLUMNS} FROM symphainy.checkpoints c
        WHERE c.tenant_id = $1 AND c.thread_id = $2 AND c.checkpoint_ns = $3 AND ($4::text IS NULL OR c.checkpoint_id = $4) AND ${LIVE}
        ORDER BY c.checkpoint_id DESC LIMIT 1`,
      [this.tenantId, threadId, checkpointNs, checkpointId ?? null],
    );
    return (await this.#complete(rows))[0];
  }

  /** A page of checkpoints, newest first, after `after` (the previous page's last). */
  async list(selection: CheckpointSelection, limit: number, after?: CheckpointKey): Promise<StoredCheckpoint[]> {
    const rows = await this.db.scoped(this.tenantId).query<Row>(
      `SELECT ${COLUMNS} FROM symphainy.checkpoints c
        WHERE c.tenant_id = $1 AND ($2::text IS NULL OR c.thread_id = $2) AND ($3::text IS NULL OR c.checkpoint_ns = $3)
          AND ($4::text IS NULL OR c.checkpoint_id = $4) AND ($5::text IS NULL OR c.checkpoint_id < $5) AND ${LIVE}
          AND ($8::text IS NULL OR c.checkpoint_id < $8 OR (c.checkpoint_id = $8 AND (c.thread_id, c.checkpoint_ns) > ($6, $7)))
        ORDER BY c.checkpoint_id DESC, c.thread_id, c.checkpoint_ns
        LIMIT $9`,
      [
        this.tenantId, selection.threadId ?? null, selection.checkpointNs ?? null, selection.checkpointId ?? null, selection.before ?? null,
        after?.threadId ?? null, after?.checkpointNs ?? null, after?.checkpointId ?? null, limit,
      ],
    );
    return this.#complete(rows);
  }

  /** Pending writes of one checkpoint on `channel` (used to migrate pending sends of old checkpoints). */
  async writesOn(key: CheckpointKey, channel: string): Promise<StoredWrite[]> {
    const rows = await this.db.scoped(this.tenantId).query<{ task_id: string; idx: number; channel: string; task_path: string; value: Uint8Array }>(
      `SELECT task_id, idx, channel, task_path, value FROM symphainy.checkpoint_writes
        WHERE tenant_id = $1 AND thread_id = $2 AND checkpoint_ns = $3 AND checkpoint_id = $4 AND channel = $5
        ORDER BY task_path, task_id, idx`,
      [this.tenantId, key.threadId, key.checkpointNs, key.checkpointId, channel],
    );
    const scope = this.#scope(key.threadId);
    return Promise.all(rows.map(async (r) => ({ taskId: r.task_id, idx: Number(r.idx), channel: r.channel, taskPath: r.task_path, value: await fromStored(scope, r.value) })));
  }

  /** Whether the thread is under a legal hold, and why. */
  async hold(threadId: string): Promise<{ reason: string; since: string } | null> {
    const rows = await this.db.scoped(this.tenantId).query<{ reason: string; held_at: unknown }>(
      'SELECT reason, held_at FROM symphainy.checkpoint_holds WHERE tenant_id = $1 AND thread_id = $2',
      [this.tenantId, threadId],
    );
    return rows[0] ? { reason: rows[0].reason, since: iso(rows[0].held_at)! } : null;
  }

  /** Within `tx`: places a hold (replacing the reason of one there is) or releases it (true when there was one). */
  async setHold(tx: Queryable, threadId: string, hold: { reason: string; at: string } | null): Promise<boolean> {
    const rows = hold
      ? await tx.query(
          `INSERT INTO symphainy.checkpoint_holds (tenant_id, thread_id, reason, held_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, thread_id) DO UPDATE SET reason = EXCLUDED.reason, held_at = EXCLUDED.held_at RETURNING thread_id`,
          [this.tenantId, threadId, hold.reason, hold.at],
        )
      : await tx.query('DELETE FROM symphainy.checkpoint_holds WHERE tenant_id = $1 AND thread_id = $2 RETURNING thread_id', [this.tenantId, threadId]);
    return rows.length > 0;
  }

  /**
   * Within `tx`: deletes every checkpoint, channel value and write of the
   * threads (all of the tenant's when `threadIds` is null) that no legal
   * hold keeps. Returns the threads deleted and the held ones left alone.
   */
  async deleteThreads(tx: Queryable, threadIds: readonly string[] | null): Promise<{ deleted: string[]; held: string[]; checkpoints: number; writes: number }> {
    const params = [this.tenantId, threadIds];
    const inScope = (alias: string) => `${alias}.tenant_id = $1 AND ($2::text[] IS NULL OR ${alias}.thread_id = ANY($2::text[]))`;
    const held = await tx.query<{ thread_id: string }>(
      `SELECT thread_id FROM symphainy.checkpoint_holds h WHERE ${inScope('h')} ORDER BY thread_id`,
      params,
    );
    const checkpoints = await tx.query<{ thread_id: string }>(
      `DELETE FROM symphainy.checkpoints c WHERE ${inScope('c')} AND NOT ${HELD('c')} RETURNING c.thread_id`,
      params,
    );
    const writes = await tx.query<{ thread_id: string }>(
      `DELETE FROM symphainy.checkpoint_writes w WHERE ${inScope('w')} AND NOT ${HELD('w')} RETURNING w.thread_id`,
      params,
    );
    await tx.query(`DELETE FROM symphainy.checkpoint_blobs b WHERE ${inScope('b')} AND NOT ${HELD('b')}`, params);
    const deleted = [...new Set([...checkpoints, ...writes].map((r) => r.thread_id))].sort();
    return { deleted, held: held.map((r) => r.thread_id), checkpoints: checkpoints.length, writes: writes.length };
  }

  /** The threads having a checkpoint whose subject hashes include `hash`. */
  async threadsWithSubject(hash: string): Promise<string[]> {
    const rows = await this.db.scoped(this.tenantId).query<{ thread_id: string }>(
      'SELECT DISTINCT thread_id FROM symphainy.checkpoints WHERE tenant_id = $1 AND $2 = ANY(subject_hashes) ORDER BY thread_id',
      [this.tenantId, hash],
    );
    return rows.map((r) => r.thread_id);
  }

  /** Within `tx`: removes the writes of deleted checkpoints and the channel values no remaining checkpoint of the namespace uses. */
  async #dropWritesAndBlobs(tx: Queryable, threadId: string, checkpointNs: string, checkpointIds: readonly string[]): Promise<void> {
    await tx.query(
      `DELETE FROM symphainy.checkpoint_writes WHERE tenant_id = $1 AND thread_id = $2 AND checkpoint_ns = $3 AND checkpoint_id = ANY($4::text[])`,
      [this.tenantId, threadId, checkpointNs, checkpointIds],
    );
    await tx.query(
      `DELETE FROM symphainy.checkpoint_blobs b
        WHERE b.tenant_id = $1 AND b.thread_id = $2 AND b.checkpoint_ns = $3
          AND NOT EXISTS (SELECT 1 FROM symphainy.checkpoints c
                           WHERE c.tenant_id = b.tenant_id AND c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
                             AND c.channel_versions ->> b.channel = b.version)`,
      [this.tenantId, threadId, checkpointNs],
    );
  }

  /** Decodes rows and adds their channel values and pending writes (two queries for the whole page). */
  async #complete(rows: readonly Row[]): Promise<StoredCheckpoint[]> {
    if (rows.length === 0) return [];
    const keys = [rows.map((r) => r.thread_id), rows.map((r) => r.checkpoint_ns), rows.map((r) => r.checkpoint_id)];
    const q = this.db.scoped(this.tenantId);
    const [blobs, writes] = await Promise.all([
      q.query<{ thread_id: string; checkpoint_ns: string; checkpoint_id: string; channel: string; blob: Uint8Array }>(
        `SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id, b.channel, b.blob
           FROM unnest($2::text[], $3::text[], $4::text[]) AS k(thread_id, checkpoint_ns, checkpoint_id)
           JOIN symphainy.checkpoints c ON c.tenant_id = $1 AND c.thread_id = k.thread_id AND c.checkpoint_ns = k.checkpoint_ns AND c.checkpoint_id = k.checkpoint_id
           CROSS JOIN LATERAL jsonb_each_text(c.channel_versions) AS v(channel, version)
           JOIN symphainy.checkpoint_blobs b ON b.tenant_id = c.tenant_id AND b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
                                            AND b.channel = v.channel AND b.version = v.version
          WHERE b.blob IS NOT NULL`,
        [this.tenantId, ...keys],
      ),
      q.query<{ thread_id: string; checkpoint_ns: string; checkpoint_id: string; task_id: string; idx: number; channel: string; task_path: string; value: Uint8Array }>(
        `SELECT w.thread_id, w.checkpoint_ns, w.checkpoint_id, w.task_id, w.idx, w.channel, w.task_path, w.value
           FROM unnest($2::text[], $3::text[], $4::text[]) AS k(thread_id, checkpoint_ns, checkpoint_id)
           JOIN symphainy.checkpoint_writes w ON w.tenant_id = $1 AND w.thread_id = k.thread_id AND w.checkpoint_ns = k.checkpoint_ns AND w.checkpoint_id = k.checkpoint_id
          ORDER BY w.task_path, w.task_id, w.idx`,
        [this.tenantId, ...keys],
      ),
    ]);
    const id = (r: { thread_id: string; checkpoint_ns: string; checkpoint_id: string }) => JSON.stringify([r.thread_id, r.checkpoint_ns, r.checkpoint_id]);
    const out: StoredCheckpoint[] = [];
    for (const r of rows) {
      const scope = this.#scope(r.thread_id);
      const own = id(r);
      out.push({
        threadId: r.thread_id,
        checkpointNs: r.checkpoint_ns,
        checkpointId: r.checkpoint_id,
        parentCheckpointId: r.parent_checkpoint_id,
        checkpoint: await fromStored(scope, r.checkpoint),
        metadata: await fromStored(scope, r.metadata),
        channelValues: await Promise.all(blobs.filter((b) => id(b) === own).map(async (b) => ({ channel: b.channel, value: await fromStored(scope, b.blob) }))),
        pendingWrites: await Promise.all(writes.filter((w) => id(w) === own).map(async (w) => ({
          taskId: w.task_id, idx: Number(w.idx), channel: w.channel, taskPath: w.task_path, value: await fromStored(scope, w.value),
        }))),
        decision: r.decision,
        retainUntil: iso(r.retain_until) ?? null,
        expiresAt: iso(r.expires_at) ?? null,
      });
    }
    return out;
  }
}

/** What one checkpoint sweep removed. */
export interface CheckpointSweepReport {
  /** Checkpoints whose retention ended or cache TTL passed. */
  readonly checkpointsDeleted: number;
  /** Pending writes of those, and writes whose checkpoint was never stored (discarded) after a grace period. */
  readonly writesDeleted: number;
  /** Threads a legal hold kept, with checkpoints past their time. */
  readonly heldThreads: readonly { readonly tenantId: string; readonly threadId: string }[];
}

/** Writes younger than this may belong to a checkpoint whose transaction has not committed yet. */
const ORPHAN_WRITE_GRACE_SECONDS = 3600;

/**
 * Every tenant's expired checkpoints (retention ended, cache TTL passed; by
 * the database's clock) deleted unless their thread is held, with their
 * writes and the channel values nothing uses any more. One transaction.
 */
export async function sweepCheckpoints(db: Db, scope: TenantScope): Promise<CheckpointSweepReport> {
  return db.scoped(scope).transaction(async (tx) => {
    const expired = `(c.retain_until < now() OR c.expires_at < now())`;
    const held = await tx.query<{ tenant_id: string; thread_id: string }>(
      `SELECT DISTINCT c.tenant_id, c.thread_id FROM symphainy.checkpoints c WHERE ${expired} AND ${HELD('c')} ORDER BY 1, 2`,
    );
    const deleted = await tx.query<{ tenant_id: string; thread_id: string; checkpoint_ns: string; checkpoint_id: string }>(
      `DELETE FROM symphainy.checkpoints c WHERE ${expired} AND NOT ${HELD('c')}
       RETURNING c.tenant_id, c.thread_id, c.checkpoint_ns, c.checkpoint_id`,
    );
    const keys = [deleted.map((d) => d.tenant_id), deleted.map((d) => d.thread_id), deleted.map((d) => d.checkpoint_ns), deleted.map((d) => d.checkpoint_id)];
    const writes = await tx.query(
      `DELETE FROM symphainy.checkpoint_writes w
        WHERE NOT ${HELD('w')}
          AND ((w.tenant_id, w.thread_id, w.checkpoint_ns, w.checkpoint_id) IN
                 (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))
               OR (w.written_at < now() - $5::double precision * interval '1 second'
                   AND NOT EXISTS (SELECT 1 FROM symphainy.checkpoints c
                                    WHERE c.tenant_id = w.tenant_id AND c.thread_id = w.thread_id
                                      AND c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id)))
       RETURNING 1`,
      [...keys, ORPHAN_WRITE_GRACE_SECONDS],
    );
    // Channel values of the namespaces that lost checkpoints, unless a remaining checkpoint uses them.
    await tx.query(
      `DELETE FROM symphainy.checkpoint_blobs b
        WHERE (b.tenant_id, b.thread_id, b.checkpoint_ns) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
          AND NOT EXISTS (SELECT 1 FROM symphainy.checkpoints c
                           WHERE c.tenant_id = b.tenant_id AND c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
                             AND c.channel_versions ->> b.channel = b.version)`,
      keys.slice(0, 3),
    );
    return {
      checkpointsDeleted: deleted.length,
      writesDeleted: writes.length,
      heldThreads: held.map((h) => ({ tenantId: h.tenant_id, threadId: h.thread_id })),
    };
  });
}

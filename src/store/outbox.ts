import type { Db, Queryable } from '../db/db.ts';
import { ANY_TENANT, tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { insertMany, iso } from '../db/sql.ts';
import type { ContentCipher, CoveredExecution } from '../crypto/content-cipher.ts';
import { openEvent, sealEvent } from './outbox-sealing.ts';

/** An event as delivered to subscribers; `eventId` never changes, also on redelivery. */
export interface OutboxEvent {
  readonly eventId: string;
  readonly eventType: string;
  /** `realm` for events a realm returned; `runtime` for lifecycle events (`execution.*`). */
  readonly source: 'realm' | 'runtime';
  readonly tenantId: string;
  readonly sessionId: string;
  readonly executionId: string | null;
  readonly payload: unknown;
  readonly createdAt: string;
}

export interface StoredOutboxEvent extends OutboxEvent {
  readonly seq: number;
  readonly publishedAt: string | null;
}

/**
 * A place in one tenant's committed event stream: the writing transaction,
 * then the sequence number. Ordered this way, a reader never passes an event
 * whose transaction commits after a later-numbered one.
 */
export interface StreamPosition {
  readonly txId: string;
  readonly seq: number;
}

const COLUMNS = [
  { name: 'event_id' },
  { name: 'tenant_id' },
  { name: 'session_id' },
  { name: 'execution_id' },
  { name: 'event_type' },
  { name: 'source' },
  { name: 'payload', json: true },
  { name: 'created_at' },
] as const;

const SELECT = `SELECT seq, event_id, tenant_id, session_id, execution_id, event_type, source, payload, created_at, published_at
                  FROM symphainy.outbox`;

/**
 * General notes: the transactional outbox owns the `outbox` table. Events are
 * inserted in the same transaction as the state change that produced them
 * and handed to the relay only after that commits; it never publishes.
 *
 * With a cipher, payloads are sealed (see outbox-sealing.ts): by
 * {@link seal} before the writing transaction, or else by {@link insert};
 * {@link list} and {@link listCommitted} open them, {@link claimUnpublished}
 * hands them to the relay sealed (the sinks decide: NATS publishes them
 * sealed, the in-process bus opens them).
 */
export class TransactionalOutbox {
  readonly #cipher: ContentCipher | undefined;
  /** Events this outbox sealed, so {@link insert} does not seal them twice. */
  readonly #sealed = new WeakSet<OutboxEvent>();

  /** `cipher`: seal payloads (absent: plaintext, encryption off). */
  constructor(private readonly db: Db, options: { cipher?: ContentCipher } = {}) {
    this.#cipher = options.cipher;
  }

  /**
   * The events with their payloads sealed, under the cover of the execution
   * they belong to (`coveredBy`: its tenant, session and intent parameters;
   * default: each event's tenant and session). Call before the transaction
   * that inserts them, so it (or a group commit) never waits on keys. Without
   * a cipher, the events as given.
   * @throws KeyUnavailableError when a key cannot be made or read.
   */
  async seal(events: readonly OutboxEvent[], coveredBy?: CoveredExecution): Promise<OutboxEvent[]> {
    const cipher = this.#cipher;
    if (!cipher) return [...events];
    return Promise.all(events.map(async (e) => {
      if (this.#sealed.has(e)) return e;
      const sealed = await sealEvent(cipher, e, coveredBy);
      this.#sealed.add(sealed);
      return sealed;
    }));
  }

  /** Inserts events in `q`'s transaction; with a cipher, an event not sealed by {@link seal} is sealed here (tenant and session cover). */
  async insert(q: Queryable, events: readonly OutboxEvent[]): Promise<void> {
    // Events sealed beforehand are inserted at once (no await first), so a group commit can pipeline the statement.
    const rows = this.#cipher && events.some((e) => !this.#sealed.has(e)) ? await this.seal(events) : events;
    await insertMany(
      q,
      'symphainy.outbox',
      COLUMNS,
      rows.map((e) => [e.eventId, e.tenantId, e.sessionId, e.executionId, e.eventType, e.source, e.payload, e.createdAt]),
    );
  }

  /**
   * Leases the oldest unpublished events to relay `owner` for `leaseMs`
   * (database clock) and returns them in commit order. Rows another relay
   * holds are skipped (`SKIP LOCKED`, unexpired lease), so several relays
   * share the outbox; a relay that dies leaves leases that simply expire.
   * Of every tenant: the relay publishes for all of them.
   */
  async claimUnpublished(owner: string, limit: number, leaseMs: number): Promise<StoredOutboxEvent[]> {
    const rows = await this.#bookkeeping(
      `UPDATE symphainy.outbox o
          SET lease_owner = $1, lease_expires_at = now() + $3 * interval '1 millisecond'
         FROM (SELECT seq FROM symphainy.outbox
                WHERE published_at IS NULL AND (lease_owner IS NULL OR lease_owner = $1 OR lease_expires_at < now())
                ORDER BY seq LIMIT $2
                FOR UPDATE SKIP LOCKED) next
        WHERE o.seq = next.seq
       RETURNING o.seq, o.event_id, o.tenant_id, o.session_id, o.execution_id, o.event_type, o.source, o.payload,
                 o.created_at, o.published_at`,
      [owner, limit, leaseMs],
    );
    return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
  }

  async markPublished(eventIds: readonly string[], at: string): Promise<void> {
    if (eventIds.length === 0) return;
    await this.#bookkeeping(
      `UPDATE symphainy.outbox SET published_at = $2, lease_owner = NULL, lease_expires_at = NULL
        WHERE event_id = ANY($1::text[]) AND published_at IS NULL`,
      [eventIds, at],
    );
  }

  /**
   * A relay statement, of every tenant, committed without waiting for its
   * WAL flush (`synchronous_commit off`): leases and published marks are
   * bookkeeping — one lost in a crash only means an event is leased again or
   * sent again, which delivery already allows (at least once, stable ids) —
   * so they do not queue behind, or hold up, executions' commits.
   */
  async #bookkeeping(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return this.db.scoped(ANY_TENANT).transaction(async (tx) => {
      const relaxed = tx.query("SELECT set_config('synchronous_commit', 'off', true)");
      relaxed.catch(() => {});
      const rows = await tx.query(sql, params);
      await relaxed;
      return rows;
    });
  }

  /** Events of every tenant not yet published, and the age in seconds of the oldest (for metrics). */
  async backlog(now: Date): Promise<{ unpublished: number; oldestAgeSeconds: number }> {
    const rows = await this.db.scoped(ANY_TENANT).query<{ n: string | number; oldest: unknown }>(
      'SELECT count(*) AS n, min(created_at) AS oldest FROM symphainy.outbox WHERE published_at IS NULL',
    );
    const oldest = iso(rows[0]?.oldest);
    return {
      unpublished: Number(rows[0]?.n ?? 0),
      oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000) : 0,
    };
  }

  /**
   * One tenant's events after `after`, in stream order, taking only events of
   * transactions older than every transaction still running — so an event
   * that commits late is never skipped by a reader that already moved on.
   */
  async listCommitted(query: { tenantId: string; after: StreamPosition | null; limit: number }): Promise<(StoredOutboxEvent & { position: StreamPosition })[]> {
    const rows = await this.db.scoped(query.tenantId).query(
      `SELECT seq, event_id, tenant_id, session_id, execution_id, event_type, source, payload, created_at, published_at, tx_id::text AS tx_id
         FROM symphainy.outbox
        WHERE tenant_id = $1
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
          AND ($2::xid8 IS NULL OR (tx_id, seq) > ($2::xid8, $3::bigint))
        ORDER BY tx_id, seq
        LIMIT $4`,
      [tenantParam(query.tenantId), query.after?.txId ?? null, query.after?.seq ?? 0, query.limit],
    );
    return Promise.all(rows.map((r) => this.#open({ ...toEvent(r), position: { txId: r.tx_id as string, seq: Number(r.seq) } })));
  }

  /** Where an event of this tenant is in its stream (to resume after it), or null when it has no such event. */
  async positionOf(eventId: string, tenantId: string): Promise<StreamPosition | null> {
    const rows = await this.db.scoped(tenantId).query<{ tx_id: string; seq: string | number }>(
      'SELECT tx_id::text AS tx_id, seq FROM symphainy.outbox WHERE event_id = $1 AND tenant_id = $2',
      [eventId, tenantParam(tenantId)],
    );
    return rows[0] ? { txId: rows[0].tx_id, seq: Number(rows[0].seq) } : null;
  }

  async list(query: { tenantId: TenantScope; executionId?: string; limit?: number }): Promise<StoredOutboxEvent[]> {
    const rows = await this.db.scoped(query.tenantId).query(
      `${SELECT} WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR execution_id = $2) ORDER BY seq LIMIT $3`,
      [tenantParam(query.tenantId), query.executionId ?? null, query.limit ?? 1000],
    );
    return Promise.all(rows.map((r) => this.#open(toEvent(r))));
  }

  /** Opens a sealed payload; one whose key was destroyed reads as `{ redacted: true, keyDestroyed: <keyId> }`. */
  #open<E extends StoredOutboxEvent>(event: E): Promise<E> {
    return openEvent(this.#cipher?.envelope, event);
  }
}

function toEvent(r: Record<string, unknown>): StoredOutboxEvent {
  return {
    seq: Number(r.seq),
    eventId: r.event_id as string,
    eventType: r.event_type as string,
    source: r.source as OutboxEvent['source'],
    tenantId: r.tenant_id as string,
    sessionId: r.session_id as string,
    executionId: (r.execution_id as string | null) ?? null,
    payload: r.payload,
    createdAt: iso(r.created_at)!,
    publishedAt: iso(r.published_at),
  };
}

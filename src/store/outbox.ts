import type { Queryable } from './db.ts';
import { insertMany, iso, tenantParam, type TenantScope } from './sql.ts';

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
 */
export class TransactionalOutbox {
  constructor(private readonly db: Queryable) {}

  async insert(q: Queryable, events: readonly OutboxEvent[]): Promise<void> {
    await insertMany(
      q,
      'symphainy.outbox',
      COLUMNS,
      events.map((e) => [e.eventId, e.tenantId, e.sessionId, e.executionId, e.eventType, e.source, e.payload, e.createdAt]),
    );
  }

  /** The oldest unpublished events, in commit order. */
  async unpublished(limit: number): Promise<StoredOutboxEvent[]> {
    return (await this.db.query(`${SELECT} WHERE published_at IS NULL ORDER BY seq LIMIT $1`, [limit])).map(toEvent);
  }

  async markPublished(eventIds: readonly string[], at: string): Promise<void> {
    if (eventIds.length === 0) return;
    await this.db.query('UPDATE symphainy.outbox SET published_at = $2 WHERE event_id = ANY($1::text[])', [eventIds, at]);
  }

  async list(query: { tenantId: TenantScope; executionId?: string; limit?: number }): Promise<StoredOutboxEvent[]> {
    const rows = await this.db.query(
      `${SELECT} WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR execution_id = $2) ORDER BY seq LIMIT $3`,
      [tenantParam(query.tenantId), query.executionId ?? null, query.limit ?? 1000],
    );
    return rows.map(toEvent);
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

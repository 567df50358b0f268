import type { Logger } from 'pino';
import type { OutboxEvent } from '../store/outbox.ts';
import { ANY_TENANT, tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import type { EventSink } from './event-sink.ts';

export type EventHandler = (event: OutboxEvent) => void | Promise<void>;

export interface SubscriptionFilter {
  /** Whose events: one tenant, or ANY_TENANT (platform code) — always said explicitly. */
  readonly tenantId: TenantScope;
  /** Only events of these types (exact match, or a prefix ending in `*`, e.g. `execution.*`). */
  readonly eventTypes?: readonly string[];
}

interface Subscription {
  readonly handler: EventHandler;
  readonly filter: SubscriptionFilter;
}

/**
 * In-process subscribers. Handlers run one after another in commit order; a
 * handler that throws is logged and does not stop the others or the relay
 * (its event counts as delivered, as a subscriber's bug must not block the
 * outbox).
 */
export class InProcessEventBus implements EventSink {
  readonly name = 'in-process';
  readonly #subs = new Set<Subscription>();

  constructor(private readonly logger: Logger) {}

  /** Registers a handler; returns a function that removes it. */
  subscribe(handler: EventHandler, filter: SubscriptionFilter): () => void {
    if (typeof handler !== 'function') throw new TypeError('subscribe() needs a handler function');
    tenantParam(filter?.tenantId); // a tenant id or ANY_TENANT, never nothing
    const sub = { handler, filter };
    this.#subs.add(sub);
    return () => {
      this.#subs.delete(sub);
    };
  }

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    for (const event of events) {
      for (const sub of this.#subs) {
        if (!matches(sub.filter, event)) continue;
        try {
          await sub.handler(event);
        } catch (err) {
          this.logger.error({ err, eventId: event.eventId, eventType: event.eventType }, 'event subscriber failed');
        }
      }
    }
  }
}

function matches(filter: SubscriptionFilter, e: OutboxEvent): boolean {
  if (filter.tenantId !== ANY_TENANT && filter.tenantId !== e.tenantId) return false;
  if (filter.eventTypes === undefined) return true;
  return filter.eventTypes.some((t) => (t.endsWith('*') ? e.eventType.startsWith(t.slice(0, -1)) : t === e.eventType));
}

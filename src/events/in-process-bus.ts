import type { Logger } from 'pino';
import type { ContentCipher } from '../crypto/content-cipher.ts';
import { DecryptError } from '../errors/index.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { openEvent } from '../store/outbox-sealing.ts';
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
 * outbox). Handlers get payloads opened (with the runtime's cipher); one
 * whose key was destroyed arrives as `{ redacted: true, keyDestroyed }`.
 */
export class InProcessEventBus implements EventSink {
  readonly name = 'in-process';
  readonly #subs = new Set<Subscription>();

  readonly #cipher: ContentCipher | undefined;

  /** `cipher`: opens sealed payloads for handlers (absent: payloads as stored). */
  constructor(private readonly logger: Logger, options: { cipher?: ContentCipher } = {}) {
    this.#cipher = options.cipher;
  }

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
    for (const stored of events) {
      const subs = [...this.#subs].filter((sub) => matches(sub.filter, stored));
      if (subs.length === 0) continue;
      // Opened once for all its handlers. A key that cannot be read now fails the batch (the relay retries it);
      // an altered payload never opens, so it is logged and skipped rather than blocking the outbox.
      let event: OutboxEvent;
      try {
        event = await openEvent(this.#cipher?.envelope, stored);
      } catch (err) {
        if (!(err instanceof DecryptError)) throw err;
        this.logger.error({ err, eventId: stored.eventId, eventType: stored.eventType }, 'event payload does not open; not delivered');
        continue;
      }
      for (const sub of subs) {
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

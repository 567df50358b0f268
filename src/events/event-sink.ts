import type { OutboxEvent } from '../store/outbox.ts';

/**
 * Where the outbox relay publishes committed events. A sink that throws
 * leaves the events unpublished; the relay retries them with backoff, with
 * the same event ids, so a sink must tolerate a re-send (deduplicate by id).
 */
export interface EventSink {
  readonly name: string;
  publish(events: readonly OutboxEvent[]): Promise<void>;
  /** Releases connections; called once when a runtime that created the sink closes. */
  close?(): Promise<void>;
}

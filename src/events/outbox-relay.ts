import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TransactionalOutbox } from '../store/outbox.ts';
import type { EventSink } from './event-sink.ts';

export interface OutboxRelayOptions {
  readonly outbox: TransactionalOutbox;
  readonly sinks: readonly EventSink[];
  readonly logger: Logger;
  /** Events per round. @default 200 */
  readonly batchSize?: number;
  /** How long a claimed batch is this relay's before another relay may take it. @default 30000 */
  readonly leaseMs?: number;
  /** This relay's name in outbox leases. @default a random id */
  readonly relayId?: string;
  /** First retry delay after a sink failed, doubled up to `maxBackoffMs`. @default 100 */
  readonly initialBackoffMs?: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
  /**
   * Least milliseconds between the starts of two kicked drains: kicks in
   * between are gathered into one drain, so a busy runtime leases and marks
   * events in batches instead of once or twice per execution. A kick after a
   * quiet spell drains at once. `drain()` never waits. @default 10
   */
  readonly minIntervalMs?: number;
}

/**
 * General notes: the relay moves committed outbox rows to the sinks and marks
 * them published. It only ever reads committed rows, so nothing is published
 * for a transaction that rolled back. Each batch is leased first, so relays
 * in several processes share one outbox without publishing the same batch
 * at once. Delivery is at-least-once: a crash (or an expired lease) between
 * publish and mark re-sends the same event ids, which sinks deduplicate. One drain runs at a
 * time; `kick()` after each commit (kicks closer than `minIntervalMs` share
 * a drain), `drain()` to wait until the outbox is empty (used on close).
 */
export class OutboxRelay {
  readonly #o: Required<Omit<OutboxRelayOptions, 'sinks'>> & { sinks: readonly EventSink[] };
  #running: Promise<void> | null = null;
  #again = false;
  #backoffMs = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #kickTimer: NodeJS.Timeout | null = null;
  #lastStart = -Infinity;
  #closed = false;

  constructor(options: OutboxRelayOptions) {
    this.#o = {
      batchSize: 200, leaseMs: 30_000, relayId: `relay-${randomUUID()}`, initialBackoffMs: 100, maxBackoffMs: 30_000, minIntervalMs: 10,
      ...options,
    };
  }

  /** Starts a drain: now, or (right after another started) `minIntervalMs` after that one; or makes the running one go round again. */
  kick(): void {
    if (this.#closed || this.#kickTimer) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const wait = this.#lastStart + this.#o.minIntervalMs - performance.now();
    if (wait <= 0) {
      void this.#start();
      return;
    }
    this.#kickTimer = setTimeout(() => {
      this.#kickTimer = null;
      this.kick();
    }, wait);
  }

  /** Publishes everything unpublished now; resolves when the outbox is empty or a sink failed. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
    await this.#start();
  }

  #start(): Promise<void> {
    if (this.#kickTimer) {
      clearTimeout(this.#kickTimer);
      this.#kickTimer = null;
    }
    this.#lastStart = performance.now();
    const run = this.#loop().finally(() => {
      this.#running = null;
      // A kick that arrived after the loop's last check must not be lost.
      if (this.#again && !this.#retryTimer) this.kick();
    });
    this.#running = run;
    return run;
  }

  /** Drains what is committed, then stops retrying. */
  async close(): Promise<void> {
    await this.drain().catch(() => {});
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#kickTimer) clearTimeout(this.#kickTimer);
  }

  /** Drains what is committed, then stops retrying; kicks that came meanwhile start the next drain (after `minIntervalMs`). */
  async #loop(): Promise<void> {
    this.#again = false;
    try {
      while (await this.#round()) {
        /* keep going while full batches come back */
      }
      this.#backoffMs = 0;
    } catch (err) {
      this.#scheduleRetry(err);
    }
  }

  /** One batch; true when there may be more. */
  async #round(): Promise<boolean> {
    const events = await this.#o.outbox.claimUnpublished(this.#o.relayId, this.#o.batchSize, this.#o.leaseMs);
    if (events.length === 0) return false;
    for (const sink of this.#o.sinks) await sink.publish(events);
    await this.#o.outbox.markPublished(
      events.map((e) => e.eventId),
      new Date().toISOString(),
    );
    return events.length === this.#o.batchSize;
  }

  #scheduleRetry(err: unknown): void {
    this.#backoffMs = Math.min(this.#o.maxBackoffMs, this.#backoffMs ? this.#backoffMs * 2 : this.#o.initialBackoffMs);
    this.#o.logger.warn({ err, retryInMs: this.#backoffMs }, 'outbox relay: publishing failed; will retry');
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.kick();
    }, this.#backoffMs);
    this.#retryTimer.unref();
  }
}

import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Runtime } from '../runtime/create-runtime.ts';
import type { StoredOutboxEvent, StreamPosition } from '../store/outbox.ts';
import { problemOf } from './problem.ts';

export interface EventStreamOptions {
  /** Longest pause between looks at the outbox (events of other processes have no wake-up). @default 1000 */
  readonly pollMs?: number;
  /** Comment line sent when idle, so proxies keep the connection. @default 15000 */
  readonly heartbeatMs?: number;
  /** Events read per query. @default 200 */
  readonly batchSize?: number;
}

/**
 * One client's Server-Sent Events stream of one tenant's committed outbox
 * events, from a position on. Events come from the outbox table (not the
 * bus), so nothing committed is missed while a client is away: it resumes
 * with `Last-Event-ID`. The in-process bus only wakes the stream early.
 * When reading fails (an event that cannot be opened, the store), the stream
 * ends with an `error` event whose data is the problem document.
 */
export class EventStream {
  readonly #res: ServerResponse;
  readonly #runtime: Runtime;
  readonly #tenantId: string;
  readonly #log: FastifyBaseLogger;
  readonly #o: Required<EventStreamOptions>;
  #after: StreamPosition | null;
  #closed = false;
  #wake: (() => void) | null = null;
  #woken = false;

  constructor(a: { res: ServerResponse; runtime: Runtime; tenantId: string; after: StreamPosition | null; log: FastifyBaseLogger; options?: EventStreamOptions }) {
    this.#res = a.res;
    this.#runtime = a.runtime;
    this.#tenantId = a.tenantId;
    this.#after = a.after;
    this.#log = a.log;
    this.#o = { pollMs: 1000, heartbeatMs: 15_000, batchSize: 200, ...a.options };
  }

  /** Streams until the client goes away or {@link close} is called. */
  async run(): Promise<void> {
    const res = this.#res;
    res.on('close', () => this.close());
    const unsubscribe = this.#runtime.subscribe(() => this.#nudge(), { tenantId: this.#tenantId });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    let idleSince = Date.now();
    try {
      while (!this.#closed) {
        const events = await this.#runtime.listCommittedEvents({ tenantId: this.#tenantId, after: this.#after, limit: this.#o.batchSize });
        for (const e of events) {
          if (this.#closed) return;
          await this.#write(frame(e));
          this.#after = e.position;
        }
        if (events.length > 0) idleSince = Date.now();
        if (events.length === this.#o.batchSize) continue;
        if (Date.now() - idleSince >= this.#o.heartbeatMs) {
          await this.#write(': keep-alive\n\n');
          idleSince = Date.now();
        }
        await this.#sleep(this.#o.pollMs);
      }
    } catch (err) {
      if (!this.#closed) {
        this.#log.warn({ err }, 'event stream stopped');
        // The headers (200) are sent: the client learns why the stream ends from an `error` event, a problem document.
        await this.#write(`event: error\ndata: ${JSON.stringify(problemOf(err))}\n\n`).catch(() => {});
      }
    } finally {
      unsubscribe();
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#nudge();
    if (!this.#res.writableEnded) this.#res.end();
  }

  #nudge(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#woken) {
      // An event was relayed: its transaction may still wait on an older one, so look again soon.
      this.#woken = false;
      ms = 20;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = null;
  }

  /** Writes, waiting for the client to drain its buffer (a slow client slows only its own stream). */
  async #write(chunk: string): Promise<void> {
    if (this.#closed) return;
    if (!this.#res.write(chunk)) {
      await new Promise<void>((resolve) => {
        this.#res.once('drain', resolve);
        this.#res.once('close', resolve);
      });
    }
  }
}

/** One SSE frame: id = the event id (stable; send it back as Last-Event-ID), event = its type, data = the event as JSON. */
function frame(e: StoredOutboxEvent): string {
  const data = {
    eventId: e.eventId, eventType: e.eventType, source: e.source, tenantId: e.tenantId, sessionId: e.sessionId,
    executionId: e.executionId, payload: e.payload, createdAt: e.createdAt,
  };
  return `id: ${e.eventId}\nevent: ${e.eventType.replace(/[\r\n]/g, ' ')}\ndata: ${JSON.stringify(data)}\n\n`;
}

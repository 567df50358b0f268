import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Lease, StateSurface } from '../store/state-surface.ts';

interface Held {
  readonly owner: string;
  readonly attempt: number;
  readonly leaseMs: number;
  /** Epoch ms after which the lease is no longer renewed (the handler's timeout plus one lease). */
  readonly until: number;
}

/**
 * General notes: keeps the leases of the executions a runtime runs — claimed
 * from the queue or run directly — alive while they run, renewing each every
 * third of its length until its holder's deadline. With a PostgreSQL URL the
 * renewals come from a thread with its own connection, so they go on while
 * a handler blocks the event loop; otherwise (the embedded store, whose one
 * connection lives in this thread, or a `db` given without a URL) from a
 * timer here, where a blocked loop delays them — which on the embedded store
 * is harmless: no other process can take over, and a runtime never takes
 * over the executions it runs itself ({@link LeaseKeeper.running}).
 */
export class LeaseKeeper {
  readonly #held = new Map<string, Held>();
  readonly #stateSurface: StateSurface;
  readonly #logger: Logger;
  #thread: Thread | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(deps: { stateSurface: StateSurface; logger: Logger; databaseUrl?: string | undefined }) {
    this.#stateSurface = deps.stateSurface;
    this.#logger = deps.logger;
    this.#databaseUrl = deps.databaseUrl;
    if (!deps.databaseUrl) this.#startTimer();
  }

  readonly #databaseUrl: string | undefined;

  /** The renewal thread, started with the first lease held (commands that run nothing never start one). */
  #ensureThread(): void {
    if (this.#thread || this.#closed || !this.#databaseUrl || this.#timer) return;
    const thread = new Thread(new URL('./lease-heartbeat-thread.js', import.meta.url), { workerData: { url: this.#databaseUrl } });
    thread.unref();
    thread.on('message', (m: { type: string; executionIds?: string[]; message?: string }) => {
      if (m.type === 'lost') this.#logger.warn({ lost: m.executionIds }, 'leases taken over by another worker; their outcome will be recorded there');
      else if (m.type === 'error') this.#logger.warn({ err: m.message }, 'renewing leases failed; retrying');
    });
    thread.on('error', (err) => {
      this.#logger.error({ err }, 'the lease renewal thread failed; renewing from the main thread');
      this.#thread = null;
      this.#startTimer();
    });
    this.#thread = thread;
    // Leases held before it started.
    for (const [executionId, held] of this.#held) thread.postMessage({ type: 'hold', executionId, ...held });
  }

  /** Whether renewals survive a blocked event loop (a thread renews them). */
  get renewsOffThread(): boolean {
    return this.#databaseUrl !== undefined && this.#timer === null;
  }

  /** Keeps `lease` of an execution alive for `leaseMs` at a time, until `timeoutMs` (plus one lease) from now. */
  hold(executionId: string, lease: Lease, leaseMs: number, timeoutMs: number): void {
    const held: Held = { owner: lease.owner, attempt: lease.attempt, leaseMs, until: Date.now() + timeoutMs + leaseMs };
    this.#held.set(executionId, held);
    // The claim has just set the lease: the first renewal is due a third of it later, not at the next tick.
    this.#lastRenewal.set(executionId, Date.now());
    if (!this.#thread) this.#ensureThread(); // it is told of every lease held, this one too
    else this.#thread.postMessage({ type: 'hold', executionId, ...held });
  }

  /** The executions this runtime runs now: its workers' claims never take them over. */
  running(): string[] {
    return [...this.#held.keys()];
  }

  /** Stops renewing (the outcome is recorded, or the run given up). */
  release(executionId: string): void {
    if (!this.#held.delete(executionId)) return;
    this.#thread?.postMessage({ type: 'release', executionId });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#held.clear();
    const thread = this.#thread;
    this.#thread = null;
    if (thread) {
      thread.postMessage({ type: 'close' });
      await thread.terminate().catch(() => 0);
    }
  }

  #startTimer(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.#renewHere(), 100);
    this.#timer.unref();
  }

  #lastRenewal = new Map<string, number>();

  async #renewHere(): Promise<void> {
    const now = Date.now();
    const due = [...this.#held.entries()].filter(([id, h]) => h.until > now && now - (this.#lastRenewal.get(id) ?? 0) >= h.leaseMs / 3);
    for (const id of this.#lastRenewal.keys()) if (!this.#held.has(id)) this.#lastRenewal.delete(id);
    if (due.length === 0) return;
    // One statement per owner and lease length.
    const groups = new Map<string, { owner: string; leaseMs: number; ids: string[] }>();
    for (const [id, h] of due) {
      const key = `${h.owner}\u0000${h.leaseMs}`;
      const g = groups.get(key) ?? { owner: h.owner, leaseMs: h.leaseMs, ids: [] };
      g.ids.push(id);
      groups.set(key, g);
      this.#lastRenewal.set(id, now);
    }
    for (const g of groups.values()) {
      try {
        const kept = await this.#stateSurface.renewLeases(g.owner, g.ids, g.leaseMs);
        const lost = g.ids.filter((id) => !kept.has(id) && this.#held.has(id));
        if (lost.length > 0) this.#logger.warn({ lost }, 'leases taken over by another worker; their outcome will be recorded there');
      } catch (err) {
        // Tried again at the next third of the lease.
        this.#logger.warn({ err }, 'renewing leases failed; retrying');
      }
    }
  }
}

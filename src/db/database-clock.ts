import { performance } from 'node:perf_hooks';
import type { Db } from './db.ts';

/** Default milliseconds between two readings of the database's clock. */
export const DEFAULT_CLOCK_RESAMPLE_MS = 10_000;

/** How long a more exact reading is preferred to a new one that took much longer to answer. */
const KEEP_EXACT_READING_MS = 60_000;

/** One reading: the database's time and the process's monotonic time just before and just after it. */
interface Sample {
  readonly dbMs: number;
  readonly sentAt: number;
  readonly receivedAt: number;
}

/**
 * General notes: the database's clock, as every deadline that deletes or
 * expires something needs it (retention, cache expiry, sweep and purge
 * cut-offs, tombstones and erasure stamps). The host's wall clock can be off
 * by days; the database's is the one every runtime sharing it agrees on.
 *
 * It reads `clock_timestamp()` once at {@link start} and then every
 * `resampleMs`, and in between adds the process's *monotonic* time elapsed
 * since the reading — which no wall-clock step or skew of the host moves.
 * Because the reading happened somewhere within its round trip:
 * - {@link now} is a lower bound (the database's time is at least this): for
 *   "has this deadline passed?" and for stamps, so nothing is judged expired early;
 * - {@link deadline} starts from the upper bound (the reading plus the whole
 *   round trip), so a deadline it computes is never earlier than the
 *   database's time plus the duration.
 * The error is one round trip of the reading held (sub-millisecond on
 * loopback; a reading that waited much longer than the held one is not taken
 * for up to a minute) plus the monotonic clock's drift since (parts per
 * million). Statements that only compare, such as the retention sweep, use
 * SQL `now()` directly instead. On the embedded store the database's clock
 * is this process's own.
 */
export class DatabaseClock {
  readonly #db: Db;
  readonly #resampleMs: number;
  #sample: Sample | undefined;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(db: Db, options: { resampleMs?: number } = {}) {
    this.#db = db;
    this.#resampleMs = options.resampleMs ?? DEFAULT_CLOCK_RESAMPLE_MS;
  }

  /** Takes the first reading and keeps the clock fresh (an unref'd timer) until {@link stop}. */
  async start(onError?: (err: unknown) => void): Promise<this> {
    await this.refresh();
    this.#timer ??= setInterval(() => void this.refresh().catch((err) => onError?.(err)), this.#resampleMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the database's clock now; a failed reading keeps the previous one (monotonic time still counts from it). */
  async refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const sentAt = performance.now();
        const rows = await this.#db.query<{ ms: number | string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms');
        const receivedAt = performance.now();
        const dbMs = Number(rows[0]?.ms);
        if (!Number.isFinite(dbMs)) throw new Error(`the database answered ${String(rows[0]?.ms)} for clock_timestamp()`);
        // A reading that waited (a busy pool, a long embedded transaction) is less exact than the one
        // held: keep the held one while it is recent, since monotonic time keeps it accurate.
        const held = this.#sample;
        const rtt = receivedAt - sentAt;
        if (held && rtt > 4 * Math.max(1, held.receivedAt - held.sentAt) && receivedAt - held.receivedAt < KEEP_EXACT_READING_MS) return;
        this.#sample = { dbMs, sentAt, receivedAt };
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** The database's current time, at least (a lower bound, whole milliseconds). Throws before {@link start}. */
  now(): Date {
    const s = this.#current();
    return new Date(Math.floor(s.dbMs + (performance.now() - s.receivedAt)));
  }

  /**
   * The instant `seconds` after the database's current time, never earlier
   * (an upper bound, rounded up to the millisecond). `seconds` must be a
   * duration the duration parser accepted, so the result is a valid date.
   */
  deadline(seconds: number): Date {
    const s = this.#current();
    const at = new Date(Math.ceil(s.dbMs + (performance.now() - s.sentAt) + seconds * 1000));
    if (Number.isNaN(at.getTime())) throw new RangeError(`a deadline ${seconds} s from now is not a representable time`);
    return at;
  }

  #current(): Sample {
    if (!this.#sample) throw new Error('DatabaseClock: read before start()');
    return this.#sample;
  }
}

import { ConfigError } from '../errors/index.ts';
import type { Db, Queryable, ScopedDb } from './db.ts';
import { ANY_TENANT, tenantSetting, type TenantScope } from './tenant-scope.ts';

/**
 * How writes of type `W` reach the database, giving an `R` for each. `batch`
 * writes several in one go, as few statements as it can, and may throw to
 * have them retried one by one (a statement failed, or a write did not
 * apply as it assumed); `one` writes a single one exactly.
 */
export interface BatchApply<W, R> {
  batch(tx: Queryable, writes: readonly W[]): Promise<R[]>;
  one(tx: Queryable, write: W): Promise<R>;
  /**
   * Optional, the fastest way: the batch as statements issued all at once,
   * which a store that pipelines ({@link ScopedDb.pipelined}) sends with
   * BEGIN and COMMIT in one round trip. Every case where `batch` would throw
   * must fail one of them, so the batch rolls back and is retried write by
   * write. `build` issues them; `results`: each write's result once they
   * committed. Null when these writes need answers before they commit.
   */
  statements?(writes: readonly W[]): { build: (tx: Queryable) => readonly Promise<unknown>[]; results: R[] } | null;
}

/** Runs tenant writes in transactions: one each ({@link transactionPerWrite}) or shared ({@link GroupCommit}). */
export interface TenantWriter<W, R> {
  /** Resolves with the write's result once the transaction holding its statements has committed. */
  write(tenant: TenantScope, write: W): Promise<R>;
}

export interface GroupCommitOptions {
  /** Most writes sharing one transaction. @default 128 */
  readonly maxBatch?: number;
  /**
   * Milliseconds a batch may wait to fill while others are in flight. Never
   * waited when idle: a write that finds nothing in flight starts at once.
   * @default 0
   */
  readonly maxWaitMs?: number;
  /** Batches in flight at once (connections used); 1 on a single-connection store. @default 4 */
  readonly maxConcurrentBatches?: number;
}

/** Counters, for tests and metrics. */
export interface GroupCommitStats {
  /** Transactions committed or attempted. */
  batches: number;
  /** Writes handed in. */
  writes: number;
  /** Batches that waited for the `maxWaitMs` timer before starting. */
  waited: number;
  /** The most writes one batch held. */
  largestBatch: number;
  /** Batches run again with a savepoint per member because one member failed. */
  retried: number;
}

/** One transaction per write: the behaviour without group commit. */
export function transactionPerWrite<W, R>(db: Db, apply: BatchApply<W, R>): TenantWriter<W, R> {
  return { write: (tenant, write) => writeAlone(db.scoped(tenant), apply, write) };
}

/**
 * One write in a transaction of its own: the batch way first (its fewest
 * statements); when that throws, once more the exact way, in a new
 * transaction. A failed COMMIT is not retried: its outcome may be unknown.
 */
async function writeAlone<W, R>(db: ScopedDb, apply: BatchApply<W, R>, write: W): Promise<R> {
  try {
    return (await writeBatch(db, apply, [write]))[0]!;
  } catch (error) {
    if (!(error instanceof MemberFailed)) throw error;
    return db.transaction((tx) => apply.one(tx, write));
  }
}

/**
 * Writes in one transaction the fastest way the store and the writes allow
 * (pipelined statements, else `batch`); a MemberFailed when it rolled back
 * because of them, so they can be retried one by one.
 */
async function writeBatch<W, R>(db: ScopedDb, apply: BatchApply<W, R>, writes: readonly W[]): Promise<R[]> {
  const planned = db.pipelined ? apply.statements?.(writes) : null;
  if (planned) {
    const outcome = await db.pipelined!(planned.build);
    if (!outcome.ok) throw new MemberFailed(outcome.error);
    return planned.results;
  }
  return db.transaction(async (tx) => {
    try {
      return await apply.batch(tx, writes);
    } catch (error) {
      throw new MemberFailed(error);
    }
  });
}

/** Checks `groupCommit` options; a ConfigError names the field at fault. */
export function validateGroupCommitOptions(o: GroupCommitOptions, prefix = 'groupCommit'): Required<GroupCommitOptions> {
  if (o === null || typeof o !== 'object') throw new ConfigError(`${prefix} must be an object or false, got ${String(o)}`);
  const int = (name: keyof GroupCommitOptions, value: number | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!(Number.isInteger(value) && value >= min)) {
      throw new ConfigError(`${prefix}.${name} must be an integer of at least ${min}, got ${String(value)}`);
    }
    return value;
  };
  const maxWaitMs = o.maxWaitMs ?? 0;
  // A timer waits on it: Node fires one longer than 2^31-1 ms at once.
  if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0 || maxWaitMs > LONGEST_TIMER_MS) {
    throw new ConfigError(`${prefix}.maxWaitMs must be a number of milliseconds from 0 to ${LONGEST_TIMER_MS}, got ${String(o.maxWaitMs)}`);
  }
  return {
    maxBatch: int('maxBatch', o.maxBatch, 128, 1),
    maxWaitMs,
    maxConcurrentBatches: int('maxConcurrentBatches', o.maxConcurrentBatches, 4, 1),
  };
}

/** 2^31-1: the longest a Node timer waits. */
const LONGEST_TIMER_MS = 2_147_483_647;

interface Member<W, R> {
  readonly scope: TenantScope;
  /** The tenant setting for row-level security: the tenant id, or `*`. */
  readonly setting: string;
  readonly write: W;
  readonly resolve: (value: R) => void;
  readonly reject: (err: unknown) => void;
  outcome?: { ok: true; value: R } | { ok: false; error: unknown };
}

const SAVEPOINT = 'symphainy_member';

/** Thrown out of a shared transaction to roll it back when a member failed (or the batch did not apply as a whole). */
class MemberFailed extends Error {
  constructor(readonly error: unknown) {
    super('a member of the batch failed', { cause: error });
  }
}

/**
 * General notes: group commit. Concurrent writes (record, completion,
 * failure of executions) share transactions, so many executions pay for one
 * commit. A write that finds no batch in flight starts one at once, as a
 * plain scoped transaction of its own (no added latency when idle); while
 * batches are in flight, writes queue and the next batch takes all queued
 * (up to `maxBatch`), optionally after waiting up to `maxWaitMs` to fill.
 *
 * Where row-level security applies (a server) a batch holds one tenant's
 * writes and runs under its setting, so row-level security checks every
 * row, and a tenant has one batch in flight; embedded, any mix. A batch is
 * written the fastest way its {@link BatchApply} and the store allow: as
 * statements sent with BEGIN and COMMIT in one round trip, else by `batch`
 * in a transaction. When that fails because of its writes (a statement
 * failed, or a write did not apply as assumed), it is rolled back and the
 * batch runs once more, write by write (`one`), each under its own
 * SAVEPOINT: a failing one is rolled back alone and rejects with its own
 * error, the others commit. Every promise settles only after the COMMIT;
 * when that fails, every member rejects with its error and none is retried
 * (the outcome of a failed commit may be unknown).
 */
export class GroupCommit<W, R> implements TenantWriter<W, R> {
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, waited: 0, largestBatch: 0, retried: 0 };
  readonly #db: Db;
  readonly #apply: BatchApply<W, R>;
  readonly #maxBatch: number;
  readonly #maxWaitMs: number;
  readonly #maxConcurrent: number;
  #queue: Member<W, R>[] = [];
  #inFlight = 0;
  /** Batches in flight by tenant setting. */
  readonly #busy = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, apply: BatchApply<W, R>, options: GroupCommitOptions = {}) {
    const o = validateGroupCommitOptions(options);
    this.#db = db;
    this.#apply = apply;
    this.#maxBatch = o.maxBatch;
    this.#maxWaitMs = o.maxWaitMs;
    // One connection runs one transaction at a time: more batches would only wait on its lock.
    this.#maxConcurrent = db.capabilities.multipleConnections ? o.maxConcurrentBatches : 1;
  }

  write(tenant: TenantScope, write: W): Promise<R> {
    const setting = tenantSetting(tenant); // refuse a missing tenant before queueing
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ scope: tenant, setting, write, resolve, reject });
      this.stats.writes++;
      this.#pump();
    });
  }

  /** Starts batches while there is room: at once when idle or full, else after at most `maxWaitMs`. */
  #pump(): void {
    while (this.#inFlight < this.#maxConcurrent && this.#startable()) {
      const fillable = this.#inFlight > 0 && this.#maxWaitMs > 0 && this.#queue.length < this.#maxBatch;
      if (fillable) {
        this.#timer ??= setTimeout(() => {
          this.#timer = null;
          if (this.#inFlight >= this.#maxConcurrent || !this.#startable()) return;
          this.stats.waited++;
          this.#start();
          this.#pump();
        }, this.#maxWaitMs);
        return;
      }
      this.#start();
    }
  }

  /**
   * Whether a queued write can start a batch now. Where row-level security
   * applies (a server), only one of a tenant with no batch in flight: a
   * tenant's batches take turns on its WAL chain head anyway, and its writes
   * queued meanwhile make one larger batch instead of several that wait.
   */
  #startable(): boolean {
    if (!this.#db.capabilities.rowLevelSecurity) return this.#queue.length > 0;
    return this.#queue.some((m) => !this.#busy.has(m.setting));
  }

  #start(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const members = this.#take();
    const tenant = members[0]!.setting;
    this.#busy.set(tenant, (this.#busy.get(tenant) ?? 0) + 1);
    this.#inFlight++;
    this.stats.batches++;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, members.length);
    void this.#commit(members).finally(() => {
      const n = this.#busy.get(tenant)! - 1;
      if (n === 0) this.#busy.delete(tenant);
      else this.#busy.set(tenant, n);
      this.#inFlight--;
      this.#pump();
    });
  }

  /**
   * The next batch's members, in queue order. Where row-level security
   * applies (a server), of one tenant with no batch in flight (see
   * {@link #startable}): the batch runs under that tenant's setting, and a
   * transaction holding several tenants' chain heads could deadlock with
   * another connection's. Otherwise (the embedded store, one transaction at a
   * time) any mix.
   */
  #take(): Member<W, R>[] {
    if (!this.#db.capabilities.rowLevelSecurity) return this.#queue.splice(0, this.#maxBatch);
    const tenant = this.#queue.find((m) => !this.#busy.has(m.setting))!.setting;
    const taken: Member<W, R>[] = [];
    const rest: Member<W, R>[] = [];
    for (const m of this.#queue) (m.setting === tenant && taken.length < this.#maxBatch ? taken : rest).push(m);
    this.#queue = rest;
    return taken;
  }

  /** Runs a batch in one transaction and settles every member once it committed (or failed). */
  async #commit(members: Member<W, R>[]): Promise<void> {
    let failure: { error: unknown } | null = null;
    // One tenant's members under its setting where row-level security applies (#take); else any mix.
    const db = this.#db.scoped(this.#db.capabilities.rowLevelSecurity ? members[0]!.scope : ANY_TENANT);
    try {
      if (members.length === 1) {
        // Alone: a plain scoped transaction (the idle path costs what it did without group commit).
        const m = members[0]!;
        try {
          m.outcome = { ok: true, value: await writeAlone(db, this.#apply, m.write) };
        } catch (error) {
          m.outcome = { ok: false, error };
        }
        return;
      }
      try {
        const values = await writeBatch(db, this.#apply, members.map((m) => m.write));
        members.forEach((m, i) => (m.outcome = { ok: true, value: values[i]! }));
      } catch (error) {
        if (!(error instanceof MemberFailed)) throw error;
        // A member failed and took the transaction with it: run the batch again, each member under a savepoint.
        this.stats.retried++;
        for (const m of members) delete m.outcome;
        await db.transaction((tx) => this.#runIsolated(tx, members));
      }
    } catch (error) {
      // The transaction did not commit: no member's rows are there.
      failure = { error };
    } finally {
      for (const m of members) {
        if (failure) m.reject(m.outcome && !m.outcome.ok ? m.outcome.error : failure.error);
        else if (!m.outcome) m.reject(new Error('group commit: a write was left without an outcome'));
        else if (m.outcome.ok) m.resolve(m.outcome.value);
        else m.reject(m.outcome.error);
      }
    }
  }

  /** The retry: every member alone (`one`) under its own savepoint, so one that fails is rolled back alone. */
  async #runIsolated(tx: Queryable, members: readonly Member<W, R>[]): Promise<void> {
    for (const m of members) {
      const savepoint = tx.query(`SAVEPOINT ${SAVEPOINT}`);
      savepoint.catch(() => {});
      try {
        const value = await this.#apply.one(tx, m.write);
        await savepoint;
        m.outcome = { ok: true, value };
        await tx.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      } catch (error) {
        await savepoint.catch(() => {});
        m.outcome = { ok: false, error };
        // Takes back this member's statements only.
        await tx.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
        await tx.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      }
    }
  }
}

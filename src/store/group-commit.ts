import { AsyncResource } from 'node:async_hooks';
import { ConfigError } from '../errors/index.ts';
import type { Db, Queryable } from './db.ts';
import { TENANT_SETTING, tenantSetting, type TenantScope } from './sql.ts';

/** A write of one tenant: statements run in the transaction it is given, committed with it. */
export type WriteUnit<T> = (tx: Queryable) => Promise<T>;

/** Runs tenant writes in transactions: one each ({@link transactionPerWrite}) or shared ({@link GroupCommit}). */
export interface TenantWriter {
  /** Resolves with the unit's value once the transaction holding its statements has committed. */
  write<T>(tenant: TenantScope, unit: WriteUnit<T>): Promise<T>;
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
export function transactionPerWrite(db: Db): TenantWriter {
  return { write: (tenant, unit) => db.scoped(tenant).transaction(unit) };
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
  if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new ConfigError(`${prefix}.maxWaitMs must be a non-negative number, got ${String(o.maxWaitMs)}`);
  }
  return {
    maxBatch: int('maxBatch', o.maxBatch, 128, 1),
    maxWaitMs,
    maxConcurrentBatches: int('maxConcurrentBatches', o.maxConcurrentBatches, 4, 1),
  };
}

interface Member {
  readonly scope: TenantScope;
  /** The tenant setting for row-level security: the tenant id, or `*`. */
  readonly setting: string;
  readonly unit: WriteUnit<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

const SET_TENANT = `SELECT set_config('${TENANT_SETTING}', $1, true)`;
const SAVEPOINT = 'symphainy_member';

/** Thrown out of a shared transaction to roll it back when one member failed. */
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
 * On a server a batch holds one tenant's writes (a tenant's WAL appends lock
 * its chain head until commit; holding several could deadlock with another
 * connection); embedded, any mix, ordered by tenant. A shared transaction
 * first runs its members one after the other (a tenant's appends must not
 * interleave), without savepoints, each under its own tenant's setting, so
 * row-level security checks every member's rows. When a member fails (SQL error, e.g. a taken
 * intent id, or a throw, e.g. a lost lease or a fault hook), the transaction
 * is rolled back and the batch runs once more, members one after the other,
 * each under its own SAVEPOINT: the failing one is rolled back alone and
 * rejects with its own error, the others commit. (Savepoints on every member
 * would cost about as much as the commits saved on the embedded store.)
 * Every promise settles only after the COMMIT; when that fails, every member
 * rejects with its error and none is retried (the outcome of a failed commit
 * may be unknown). Each write runs in its caller's async context. A member
 * that pauses (a slow fault hook) holds back its batch's commit.
 */
export class GroupCommit implements TenantWriter {
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, waited: 0, largestBatch: 0, retried: 0 };
  readonly #db: Db;
  readonly #maxBatch: number;
  readonly #maxWaitMs: number;
  readonly #maxConcurrent: number;
  #queue: Member[] = [];
  #inFlight = 0;
  /** Batches in flight by tenant setting. */
  readonly #busy = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, options: GroupCommitOptions = {}) {
    const o = validateGroupCommitOptions(options);
    this.#db = db;
    this.#maxBatch = o.maxBatch;
    this.#maxWaitMs = o.maxWaitMs;
    // One connection runs one transaction at a time: more batches would only wait on its lock.
    this.#maxConcurrent = db.capabilities.multipleConnections ? o.maxConcurrentBatches : 1;
  }

  write<T>(tenant: TenantScope, unit: WriteUnit<T>): Promise<T> {
    const setting = tenantSetting(tenant); // refuse a missing tenant before queueing
    return new Promise<T>((resolve, reject) => {
      // Runs in its caller's async context (AsyncLocalStorage), not the batch's.
      this.#queue.push({ scope: tenant, setting, unit: AsyncResource.bind(unit), resolve: resolve as (v: unknown) => void, reject });
      this.stats.writes++;
      this.#pump();
    });
  }

  /** Starts batches while there is room: at once when idle or full, else after at most `maxWaitMs`. */
  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxConcurrent) {
      const fillable = this.#inFlight > 0 && this.#maxWaitMs > 0 && this.#queue.length < this.#maxBatch;
      if (fillable) {
        this.#timer ??= setTimeout(() => {
          this.#timer = null;
          if (this.#queue.length === 0 || this.#inFlight >= this.#maxConcurrent) return;
          this.stats.waited++;
          this.#start();
          this.#pump();
        }, this.#maxWaitMs);
        return;
      }
      this.#start();
    }
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
   * The next batch's members, in queue order. On a server, of one tenant only
   * (preferably one with no batch in flight): a tenant's WAL appends lock its
   * chain head until commit, and a transaction holding several tenants' heads
   * could deadlock with another connection's (a claim appends for several
   * tenants). The embedded store runs one transaction at a time: any mix.
   */
  #take(): Member[] {
    if (!this.#db.capabilities.multipleConnections) return this.#queue.splice(0, this.#maxBatch);
    const tenant = (this.#queue.find((m) => !this.#busy.has(m.setting)) ?? this.#queue[0]!).setting;
    const taken: Member[] = [];
    const rest: Member[] = [];
    for (const m of this.#queue) (m.setting === tenant && taken.length < this.#maxBatch ? taken : rest).push(m);
    this.#queue = rest;
    return taken;
  }

  /** Runs a batch in one transaction and settles every member once it committed (or failed). */
  async #commit(members: Member[]): Promise<void> {
    let failure: { error: unknown } | null = null;
    try {
      if (members.length === 1) {
        // Alone: the plain scoped transaction (the idle path costs what it did without group commit).
        const m = members[0]!;
        try {
          m.outcome = { ok: true, value: await this.#db.scoped(m.scope).transaction(m.unit) };
        } catch (error) {
          m.outcome = { ok: false, error };
        }
        return;
      }
      // By tenant: every batch takes the tenants' WAL chain heads in the same order, so two batches
      // in flight never wait on each other in a cycle (a deadlock). Stable: a tenant's writes keep their order.
      const ordered = [...members].sort((a, b) => (a.setting < b.setting ? -1 : a.setting > b.setting ? 1 : 0));
      try {
        await this.#db.transaction((tx) => this.#runAll(tx, ordered));
      } catch (error) {
        if (!(error instanceof MemberFailed)) throw error;
        // One member failed and took the transaction with it: run the batch again, each member under a savepoint.
        this.stats.retried++;
        for (const m of members) delete m.outcome;
        await this.#db.transaction((tx) => this.#runIsolated(tx, ordered));
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

  /**
   * The fast path: members one after the other, no savepoints; the first
   * that fails (SQL error or throw) fails the transaction. Not at once: a
   * tenant's WAL appends read and move its chain head, so two of its members
   * must not interleave. The tenant setting is sent (without waiting for the
   * answer) when the member before was another tenant's.
   */
  async #runAll(tx: Queryable, members: readonly Member[]): Promise<void> {
    const rls = this.#db.capabilities.rowLevelSecurity;
    let lastSetting: string | null = null;
    for (const m of members) {
      let tenant: Promise<unknown> | null = null;
      if (rls && m.setting !== lastSetting) {
        tenant = tx.query(SET_TENANT, [m.setting]);
        tenant.catch(() => {});
        lastSetting = m.setting;
      }
      try {
        const value = await m.unit(tx);
        await tenant;
        m.outcome = { ok: true, value };
      } catch (error) {
        throw new MemberFailed(error);
      }
    }
  }

  /** The retry: every member under its own savepoint, so one that fails is rolled back alone. */
  async #runIsolated(tx: Queryable, members: Member[]): Promise<void> {
    const rls = this.#db.capabilities.rowLevelSecurity;
    let sent: Promise<unknown>[] = [];
    for (const m of members) {
      sent.push(tx.query(`SAVEPOINT ${SAVEPOINT}`));
      if (rls) sent.push(tx.query(SET_TENANT, [m.setting]));
      for (const p of sent) p.catch(() => {});
      try {
        const value = await m.unit(tx);
        await Promise.all(sent);
        m.outcome = { ok: true, value };
        sent = [tx.query(`RELEASE SAVEPOINT ${SAVEPOINT}`)];
      } catch (error) {
        await Promise.allSettled(sent);
        sent = [];
        m.outcome = { ok: false, error };
        // Takes back this member's statements (and its tenant setting) only.
        await tx.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
        await tx.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      }
    }
    await Promise.all(sent);
  }
}

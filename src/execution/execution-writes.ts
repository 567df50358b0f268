import type { CoveredExecution } from '../crypto/content-cipher.ts';
import type { CacheEntry, CacheStore } from '../cache/cache-store.ts';
import type { ArtifactContents, InlineContent } from '../store/artifact-contents.ts';
import type { ArtifactIndex, NewArtifact } from '../store/artifact-index.ts';
import { inOrder, type Queryable } from '../db/db.ts';
import type { BatchApply } from '../db/group-commit.ts';
import type { OutboxEvent, TransactionalOutbox } from '../store/outbox.ts';
import type { FinishRow, NewExecutionRow, StateSurface } from '../store/state-surface.ts';
import type { StepJournal, StepRow } from '../store/step-journal.ts';
import type { WalRecordInput, WriteAheadLog } from '../store/write-ahead-log.ts';

/**
 * What one step of an execution commits: its record (a new execution) or
 * its outcome (completion, failure), with the WAL records, events, index
 * rows and cache entries that belong to it. Declared, not run: so the
 * writes of many executions become one multi-row statement per table.
 */
export interface ExecutionWrite {
  /** Whose content this is (tenant, session, parameters: its encryption cover); the insert's execution when there is one. */
  readonly covered?: CoveredExecution;
  /** A new execution; not written (`taken`) when its tenant already used the intent id. */
  readonly insert?: NewExecutionRow;
  /** An outcome; not written (`not-running`) when the execution is no longer running (under this lease). */
  readonly finish?: FinishRow;
  /** Durable steps' journal rows; not written (`not-running`) when the execution is no longer running under their lease. */
  readonly steps?: readonly StepRow[];
  /** Signals the journaled waits consumed. */
  readonly consumed?: readonly { readonly signalId: string; readonly seq: number }[];
  /** At completion: the journal rows the policy did not keep are deleted (with the execution's signals). */
  readonly dropSteps?: { readonly executionId: string; readonly keep: readonly number[] };
  readonly artifacts?: readonly NewArtifact[];
  /** Renderings kept in the database, written with their artifacts' index rows. */
  readonly contents?: readonly InlineContent[];
  /** Entries of a transactional cache, committed with the rest. */
  readonly cache?: readonly CacheEntry[];
  readonly wal: readonly WalRecordInput[];
  readonly outbox: readonly OutboxEvent[];
  /** Runs in the transaction after the write's statements, before the commit (fault injection); throwing fails the write. */
  readonly beforeCommit?: () => unknown;
}

/** `written`: all of it committed; otherwise none of it did, and why. */
export type WriteOutcome = 'written' | 'taken' | 'not-running';

/** Thrown by the optimistic batch when some write did not apply: the batch is retried write by write. */
class NotAllApplied extends Error {
  constructor() {
    super('a write of the batch did not apply (a taken intent id or an execution no longer running)');
  }
}

/**
 * General notes: writes executions' records as few statements as possible.
 * `statements` (on a store that pipelines) sends them with BEGIN and COMMIT
 * in one round trip, failing on a taken intent id or an execution no longer
 * running. `batch` is optimistic too: every table's rows of every write go in one
 * statement each, issued together (pipelined, one round trip), assuming each
 * new execution's intent id is free and each finished execution still
 * running; when one is not, it throws and the group committer rolls back
 * and retries each write alone through `one`, which looks first (one round
 * trip) and writes only what applies.
 */
export class ExecutionWrites implements BatchApply<ExecutionWrite, WriteOutcome> {
  constructor(
    private readonly s: {
      readonly stateSurface: StateSurface;
      readonly artifactIndex: ArtifactIndex;
      readonly artifactContents: ArtifactContents;
      readonly cache: CacheStore;
      readonly wal: WriteAheadLog;
      readonly outbox: TransactionalOutbox;
      readonly stepJournal: StepJournal;
    },
  ) {}

  async batch(tx: Queryable, writes: readonly ExecutionWrite[]): Promise<WriteOutcome[]> {
    const [inserted, journaled, finished] = await inOrder<unknown>([...this.#look(tx, writes), ...this.#rows(tx, writes)]) as [Set<string>, Set<string>, Set<string>];
    const outcomes = writes.map((w) => outcomeOf(w, inserted, journaled, finished));
    if (outcomes.some((o) => o !== 'written')) throw new NotAllApplied();
    for (const w of writes) await w.beforeCommit?.();
    return outcomes;
  }

  /**
   * The batch as statements sent with its COMMIT: new executions fail on a
   * taken intent id and outcomes on an execution no longer running, so such
   * a batch rolls back and is retried write by write. Not for writes with a
   * `beforeCommit` hook, which must run before the COMMIT.
   */
  statements(writes: readonly ExecutionWrite[]): { build: (tx: Queryable) => Promise<unknown>[]; results: WriteOutcome[] } | null {
    if (writes.some((w) => w.beforeCommit)) return null;
    return { build: (tx) => [...this.#look(tx, writes, 'fail'), ...this.#rows(tx, writes)], results: writes.map(() => 'written') };
  }

  async one(tx: Queryable, write: ExecutionWrite): Promise<WriteOutcome> {
    const [inserted, journaled, finished] = await inOrder(this.#look(tx, [write]));
    const outcome = outcomeOf(write, inserted!, journaled!, finished!);
    if (outcome !== 'written') return outcome;
    await inOrder<unknown>(this.#rows(tx, [write]));
    await write.beforeCommit?.();
    return outcome;
  }

  /**
   * The statements whose answers say whether a write applies: new executions,
   * steps' journal rows (before an outcome that suspends the execution), then outcomes. One that does not apply is left out (`skip`), or fails its
   * statement (`fail`).
   */
  #look(tx: Queryable, writes: readonly ExecutionWrite[], notApplying: 'skip' | 'fail' = 'skip'): Promise<Set<string>>[] {
    return [
      this.s.stateSurface.insertMany(tx, writes.flatMap((w) => (w.insert ? [w.insert] : [])), notApplying),
      this.s.stepJournal.writeMany(tx, writes.flatMap((w) => w.steps ?? []), notApplying),
      this.s.stateSurface.finishMany(tx, writes.flatMap((w) => (w.finish ? [w.finish] : [])), notApplying),
    ];
  }

  /** The rest, one statement per table (and per tenant's WAL chain). */
  #rows(tx: Queryable, writes: readonly ExecutionWrite[]): Promise<void>[] {
    const cached = writes.flatMap((w) => w.cache ?? []);
    const consumed = writes.flatMap((w) => w.consumed ?? []);
    const drops = writes.flatMap((w) => (w.dropSteps ? [w.dropSteps] : []));
    return [
      ...(consumed.length > 0 ? [this.s.stepJournal.consumeMany(tx, consumed)] : []),
      ...(drops.length > 0 ? [this.s.stepJournal.dropMany(tx, drops)] : []),
      this.s.artifactContents.insert(tx, writes.flatMap((w) => w.contents ?? [])),
      this.s.artifactIndex.insert(tx, writes.flatMap((w) => w.artifacts ?? [])),
      ...(cached.length > 0 ? [this.s.cache.put(cached, tx)] : []),
      this.s.wal.append(tx, writes.flatMap((w) => w.wal)),
      this.s.outbox.insert(tx, writes.flatMap((w) => w.outbox)),
    ];
  }
}

function outcomeOf(w: ExecutionWrite, inserted: Set<string>, journaled: Set<string>, finished: Set<string>): WriteOutcome {
  if (w.insert && !inserted.has(w.insert.execution.executionId)) return 'taken';
  if (w.steps?.some((s) => !journaled.has(s.executionId))) return 'not-running';
  if (w.finish && !finished.has(w.finish.executionId)) return 'not-running';
  return 'written';
}

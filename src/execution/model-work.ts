import type { RecordCipher } from '../store/record-cipher.ts';
import type { Db } from '../db/db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { CompiledBudgets, type BudgetRule } from '../policy/budgets.ts';
import { ModelUsageStore, type UsageSummary } from '../store/model-usage.ts';
import { StreamChunks, type StreamChunk } from '../store/stream-chunks.ts';
import type { WriteAheadLog } from '../store/write-ahead-log.ts';
import { BudgetGuard, type UsageObserver } from './budget-guard.ts';
import { ExecutionStreams } from './execution-stream.ts';
import { usageSince } from './usage-since.ts';

/** What `usage` selects: one execution's, or a tenant's (or every tenant's) since a time. */
export interface UsageFilter {
  readonly executionId?: string;
  /** `'today'` (the database's current UTC day), an ISO 8601 instant, or a window back from now (`7d`, `12h`): see {@link usageSince}. */
  readonly since?: string;
}

/**
 * The runtime's model work: usage, budgets and streams. `budgetGuard` and
 * `streams` go to the execution lifecycle (the handler's `ctx.recordUsage`,
 * `ctx.emit`, and the step hooks); the rest is the state surface of it.
 */
export interface ModelWork {
  readonly budgetGuard: BudgetGuard;
  readonly streams: ExecutionStreams;
  /** The budget rules in force (from the platform policy the runtime was opened with). */
  readonly budgets: readonly BudgetRule[];
  /**
   * Totals of recorded model usage (tokens; cost in US dollars), overall and
   * per model, for `tenant` (or every tenant).
   * @throws InvalidRequestError naming `since` when it is none of 'today', an ISO 8601 time or a window.
   */
  usage(tenant: TenantScope, filter?: UsageFilter): Promise<UsageSummary>;
  /** Stream chunks of an execution after `afterSeq` (0: from the first), oldest first, at most `limit`. */
  streamChunks(tenant: TenantScope, executionId: string, afterSeq?: number, limit?: number): Promise<StreamChunk[]>;
}

/** Builds the model work of a runtime over its store. */
export function openModelWork(d: {
  db: Db; wal: WriteAheadLog; now: () => Date; budgets: readonly BudgetRule[]; observer?: UsageObserver; cipher?: RecordCipher;
}): ModelWork {
  const usage = new ModelUsageStore(d.db);
  const chunks = new StreamChunks(d.db, d.cipher);
  const compiled = new CompiledBudgets(d.budgets);
  const budgetGuard = new BudgetGuard({ db: d.db, wal: d.wal, usage, budgets: () => compiled, now: d.now, ...(d.observer ? { observer: d.observer } : {}) });
  return {
    budgetGuard,
    streams: new ExecutionStreams(chunks),
    budgets: d.budgets,
    usage(tenant, filter = {}) {
      let since: string | undefined;
      if (filter.since !== undefined) {
        try {
          since = usageSince(filter.since);
        } catch (err) {
          const message = (err as Error).message;
          throw new InvalidRequestError(`since ${message}`, [{ path: 'since', message }]);
        }
      }
      return usage.summary({ tenantId: tenant, ...filter, ...(since !== undefined ? { since } : {}) });
    },
    streamChunks: (tenant, executionId, afterSeq, limit) => chunks.list(tenant, executionId, afterSeq, limit),
  };
}

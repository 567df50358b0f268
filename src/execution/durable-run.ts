import { ApprovalTimeoutError, ConfigError, InvalidRealmResultError, StepSequenceError } from '../errors/index.ts';
import type { ApprovalOptions, ApprovalResult, SignalResult, StepOptions } from '../intent/execution-context.ts';
import type { Intent } from '../intent/intent.ts';
import { durationOption } from '../policy/duration.ts';
import { compileRetryPolicy, retryDelayMs } from '../policy/retry-policy.ts';
import type { Lease } from '../store/state-surface.ts';
import { approvalSignal, StepJournal, type LoadedStep, type StepKind, type StepRow } from '../store/step-journal.ts';
import { WalRecordType, type WalRecordInput } from '../store/write-ahead-log.ts';
import type { ExecutionWriter } from './execution-writer.ts';
import { LeaseLostError, type ExecutionLifecycleDeps } from './lifecycle-types.ts';
import { walRecord } from './records.ts';
import type { Context } from '@opentelemetry/api';
import { inSpan, parentContext, SpanAttr, startSpan } from '../telemetry/execution-spans.ts';

/** The handler stopped at a wait: the run ends `waiting`, with this journal row (not yet written) holding the wait. */
export class Suspension {
  constructor(readonly row: StepRow) {}
}

type Position = { seq: number; name: string; occurrence: number; kind: StepKind };

/**
 * General notes: the durable operations of one run of a handler. Each call
 * takes the next position (synchronously, so the order is the call order),
 * then compares it with the journal, loaded once on first use (a handler
 * that uses none costs nothing). A journaled result is returned; otherwise
 * the step runs and its row is written through the {@link ExecutionWriter},
 * fenced by this run's lease. A wait with nothing to return yet resolves
 * `suspended` with its row and never returns to the handler: the lifecycle
 * records the execution `waiting` and lets the handler's promise go.
 */
export class DurableRun {
  #seq = 0;
  readonly #occurrences = new Map<string, number>();
  #journal: Promise<LoadedStep[]> | null = null;
  /** Journal rows known to this run (loaded and written), by seq: the completion decides on them. */
  readonly rows = new Map<number, { name: string; occurrence: number; kind: StepKind; resultType: string; result: unknown }>();
  readonly suspended: Promise<Suspension>;
  #suspend!: (s: Suspension) => void;
  readonly #journalStore: StepJournal;
  /** The handler's span context: steps' spans go under it. */
  traceContext: Context | undefined;

  constructor(
    private readonly d: Pick<ExecutionLifecycleDeps, 'db' | 'stepHooks' | 'stepJournal'>,
    private readonly writer: ExecutionWriter,
    private readonly at: { intent: Intent; executionId: string; lease: Lease | null },
  ) {
    this.suspended = new Promise((resolve) => (this.#suspend = resolve));
    this.#journalStore = d.stepJournal;
  }

  /** Whether the handler used any durable operation (else nothing of the journal is touched). */
  get used(): boolean {
    return this.#journal !== null;
  }

  async step<T>(name: string, fn: () => T | Promise<T>, options: StepOptions = {}): Promise<T> {
    if (typeof fn !== 'function') throw new ConfigError(`step '${String(name)}': the second argument must be the function to run, got ${typeof fn}`);
    const pos = this.#next(name, 'step');
    const resultType = options.resultType ?? 'step';
    if (typeof resultType !== 'string' || resultType === '') throw new ConfigError(`step '${name}': resultType must be a non-empty string`);
    const retry = compileRetryPolicy({ maximumAttempts: 1, ...(options.retry ?? {}) }, `step '${name}' retry`);
    const recorded = await this.#recorded(pos);
    if (recorded?.status === 'done') return recorded.result as T;
    const { intent, executionId } = this.at;
    await this.d.stepHooks?.beforeStep({
      executionId, tenantId: intent.tenantId, intentType: intent.intentType, step: name, occurrence: pos.occurrence,
    });
    // A span for a step that runs (a journaled one returned above without running): its name, never its result.
    const parent = this.traceContext ?? parentContext();
    const span = startSpan(`step ${name}`, parent, { [SpanAttr.STEP_NAME]: name, [SpanAttr.EXECUTION_ID]: executionId });
    const value = await inSpan(span, parent, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn();
        } catch (err) {
          if (attempt >= retry.maximumAttempts) throw err;
          await new Promise((r) => setTimeout(r, retryDelayMs(retry, attempt)));
        }
      }
    });
    // What is journaled is what every run returns: JSON, so the first run sees what a replay will.
    const result = JSON.parse(stepJson(name, value)) as T;
    await this.#write([this.#row(pos, 'done', result, resultType, null)]);
    return result;
  }

  async sleep(duration: string | number): Promise<void> {
    const pos = this.#next('sleep', 'sleep');
    const ms = durationOption('ctx.sleep duration', duration, { unit: 'ms', subSecond: true });
    const recorded = await this.#recorded(pos);
    if (recorded?.status === 'done') return;
    if (recorded?.due) {
      await this.#write([this.#row(pos, 'done', null, 'step', recorded.detail)]);
      return;
    }
    // Not journaled: start the timer. Journaled but not due (resumed early): wait on for the same timer.
    return this.#wait({ ...this.#row(pos, 'waiting', null, 'step', { durationMs: ms }), wakeInMs: recorded ? null : ms });
  }

  async waitFor<T>(name: string, options: { timeout?: string | number } = {}): Promise<SignalResult<T>> {
    const pos = this.#next(name, 'signal');
    const timeoutMs = options.timeout === undefined ? null : durationOption(`waitFor '${name}' timeout`, options.timeout, { unit: 'ms', subSecond: true });
    const recorded = await this.#recorded(pos);
    if (recorded?.status === 'done') return recorded.result as SignalResult<T>;
    const signal = await this.#journalStore.openSignal(this.at.executionId, name, this.at.intent.tenantId);
    if (signal) {
      const result: SignalResult<T> = { timedOut: false, data: signal.data as T, sentBy: signal.sentBy, sentAt: signal.sentAt };
      await this.#write([this.#row(pos, 'done', result, 'step', recorded?.detail ?? { timeoutMs })], [{ signalId: signal.signalId, seq: pos.seq }]);
      return result;
    }
    if (recorded?.due) {
      const result: SignalResult<T> = { timedOut: true };
      await this.#write([this.#row(pos, 'done', result, 'step', recorded.detail)]);
      return result;
    }
    return this.#wait({ ...this.#row(pos, 'waiting', null, 'step', { timeoutMs }), wakeInMs: recorded ? null : timeoutMs });
  }

  async approval(name: string, options: ApprovalOptions = {}): Promise<ApprovalResult> {
    const pos = this.#next(name, 'approval');
    const onTimeout = options.onTimeout ?? 'reject';
    if (!['reject', 'approve', 'fail'].includes(onTimeout)) {
      throw new ConfigError(`approval '${name}': onTimeout must be 'reject', 'approve' or 'fail', got ${JSON.stringify(onTimeout)}`);
    }
    const timeoutMs = options.timeout === undefined ? null : durationOption(`approval '${name}' timeout`, options.timeout, { unit: 'ms', subSecond: true });
    const detail = { summary: options.summary ?? null, timeoutMs, onTimeout };
    const recorded = await this.#recorded(pos);
    if (recorded?.status === 'done') return this.#approvalOutcome(name, recorded.result as ApprovalResult, onTimeout);
    const signal = await this.#journalStore.openSignal(this.at.executionId, approvalSignal(name), this.at.intent.tenantId);
    if (signal) {
      const result = signal.data as ApprovalResult;
      await this.#write([this.#row(pos, 'done', result, 'step', detail)], [{ signalId: signal.signalId, seq: pos.seq }]);
      return result;
    }
    if (recorded?.due) {
      const at = new Date().toISOString();
      const result: ApprovalResult = { approved: onTimeout === 'approve', decision: 'timed_out', by: null, reason: `no decision within its timeout; onTimeout: ${onTimeout}`, at };
      const decision = walRecord(this.at.intent, this.at.executionId, WalRecordType.GOVERNANCE_DECISION, approvalDecisionRecord(name, result, onTimeout), at);
      await this.#write([this.#row(pos, 'done', result, 'step', detail)], [], [decision]);
      return this.#approvalOutcome(name, result, onTimeout);
    }
    return this.#wait({ ...this.#row(pos, 'waiting', null, 'step', detail), wakeInMs: recorded ? null : timeoutMs });
  }

  #approvalOutcome(name: string, result: ApprovalResult, onTimeout: string): ApprovalResult {
    if (result.decision === 'timed_out' && onTimeout === 'fail') {
      throw new ApprovalTimeoutError(`approval '${name}' of execution ${this.at.executionId} timed out with no decision (onTimeout: fail)`);
    }
    return result;
  }

  /** The next position: its seq, and the occurrence of its name. */
  #next(name: string, kind: StepKind): Position {
    if (typeof name !== 'string' || name === '') throw new ConfigError(`a durable ${kind}'s name must be a non-empty string, got ${JSON.stringify(name)}`);
    const occurrence = (this.#occurrences.get(name) ?? 0) + 1;
    this.#occurrences.set(name, occurrence);
    const pos = { seq: this.#seq++, name, occurrence, kind };
    this.#journal ??= this.#journalStore.load(this.at.executionId, this.at.intent.tenantId).then((rows) => {
      for (const r of rows) this.rows.set(r.seq, r);
      return rows;
    });
    return pos;
  }

  /** The journal's row at this position, if any; throws StepSequenceError when it is another step's. */
  async #recorded(pos: Position): Promise<LoadedStep | undefined> {
    const rows = await this.#journal!;
    const r = rows.find((x) => x.seq === pos.seq);
    if (r && (r.name !== pos.name || r.kind !== pos.kind || r.occurrence !== pos.occurrence)) {
      throw new StepSequenceError(
        `execution ${this.at.executionId}: durable operation #${pos.seq + 1} is ${pos.kind} '${pos.name}' (occurrence ${pos.occurrence}), ` +
          `but the journal recorded ${r.kind} '${r.name}' (occurrence ${r.occurrence}) there: the handler's step sequence changed between attempts`,
      );
    }
    return r;
  }

  #row(pos: Position, status: 'done' | 'waiting', result: unknown, resultType: string, detail: Record<string, unknown> | null): StepRow {
    return {
      executionId: this.at.executionId, tenantId: this.at.intent.tenantId, seq: pos.seq, name: pos.name, occurrence: pos.occurrence,
      kind: pos.kind, status, result, resultType, detail, lease: this.at.lease,
    };
  }

  async #write(rows: StepRow[], consumed: { signalId: string; seq: number }[] = [], wal: WalRecordInput[] = []): Promise<void> {
    const outcome = await this.writer.write(this.at.intent.tenantId, { covered: this.at.intent, steps: rows, consumed, wal, outbox: [] });
    // Taken over (or recovered) meanwhile: this run's work is not recorded; the new owner's is.
    if (outcome !== 'written') throw new LeaseLostError(this.at.executionId, this.at.lease);
    for (const r of rows) this.rows.set(r.seq, r);
  }

  /** Hands the wait to the lifecycle and never returns to the handler. */
  #wait(row: StepRow): Promise<never> {
    this.#suspend(new Suspension(row));
    return new Promise<never>(() => {});
  }
}

/** The `governance_decision` WAL payload of an approval's decision: who, when, why. */
export function approvalDecisionRecord(name: string, r: ApprovalResult, onTimeout?: string): Record<string, unknown> {
  return {
    kind: 'approval', approval: name, decision: r.decision, approved: r.approved, by: r.by, reason: r.reason, at: r.at,
    ...(onTimeout ? { onTimeout } : {}),
  };
}

/**
 * A step's result as the JSON its journal keeps. Refused (SYM_ERR_REALM_RESULT,
 * naming the step and the key) where JSON would silently change the value on
 * replay: a function, symbol or bigint, NaN or ±Infinity, `undefined` in an
 * array. As in JSON.stringify, a property whose value is `undefined` is left
 * out and a Date becomes its ISO string.
 */
function stepJson(name: string, value: unknown): string {
  let problem: string | null = null;
  const text = JSON.stringify(value ?? null, function (this: unknown, key: string, v: unknown) {
    const kind = typeof v;
    const where = key === '' ? 'its result' : Array.isArray(this) ? `item ${key}` : `key ${JSON.stringify(key)}`;
    if (kind === 'function' || kind === 'symbol' || kind === 'bigint') problem ??= `${where} is a ${kind}`;
    else if (kind === 'number' && !Number.isFinite(v as number)) problem ??= `${where} is ${String(v)}`;
    else if (v === undefined && Array.isArray(this)) problem ??= `${where} is undefined`;
    return kind === 'bigint' ? null : v;
  });
  if (problem !== null || text === undefined) {
    throw new InvalidRealmResultError(`step '${name}' returned a value JSON cannot represent exactly: ${problem ?? 'its result is not JSON'} (steps journal plain JSON)`);
  }
  return text;
}

import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.ts';
import type { Db } from '../db/db.ts';
import type { Cover } from '../crypto/scope.ts';
import { tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import type { OutboxRelay } from '../events/outbox-relay.ts';
import type { ApprovalResult } from '../intent/execution-context.ts';
import { APPROVAL_SIGNAL_PREFIX, approvalSignal, StepJournal, type WaitingApproval } from '../store/step-journal.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import { openValue, sealWalPayload, signalRecordName, walRecordName, type RecordCipher } from '../store/record-cipher.ts';
import { approvalDecisionRecord } from './durable-run.ts';

/** What sending signals and deciding approvals needs from the runtime. */
export interface SignalDeps {
  readonly db: Db;
  readonly wal: WriteAheadLog;
  readonly relay?: OutboxRelay;
  readonly now: () => Date;
  readonly stepJournal?: StepJournal;
  /** Seals signal data and approval reasons (encryption on). */
  readonly cipher?: RecordCipher;
}

const FINISHED = new Set(['completed', 'failed', 'dead']);

/**
 * Signals and approvals: what people and systems send to executions waiting
 * in `ctx.waitFor` and `ctx.approval`. A signal sent before the wait is
 * kept until it consumes it; a waiting execution is resumed at once (any
 * worker claims it). Each call is one transaction.
 */
export class Signals {
  readonly #journal: StepJournal;

  constructor(private readonly d: SignalDeps) {
    this.#journal = d.stepJournal ?? new StepJournal(d.db, d.cipher);
  }

  /**
   * Sends signal `name` with `data` (JSON, default null) to an execution of
   * the scope. Throws NotFoundError outside the scope, ConflictError when it
   * has finished, InvalidRequestError for an empty name or data that is not
   * JSON.
   */
  async signal(executionId: string, tenant: TenantScope, name: string, options: { data?: unknown; sentBy?: string } = {}): Promise<{ signalId: string; sentAt: string; resumed: boolean }> {
    checkName('signal', name);
    if (name.startsWith(APPROVAL_SIGNAL_PREFIX)) throw new InvalidRequestError(`signal name '${name}': names starting with '${APPROVAL_SIGNAL_PREFIX}' are approvals' (use approve or reject)`);
    const data = jsonOf(options.data);
    return this.d.db.scoped(tenant).transaction(async (tx) => {
      const e = await this.#lock(tx, executionId, tenant);
      const sealed = this.d.cipher ? await this.d.cipher.seal(data, e.cover, signalRecordName(executionId, name), 'data') : data;
      const sent = await this.#journal.send(tx, { tenantId: e.tenantId, executionId, name, data: sealed, sentBy: options.sentBy ?? null });
      const resumed = await this.#journal.wakeIfSignalled(tx, executionId);
      return { ...sent, resumed };
    });
  }

  /**
   * Approves or rejects approval `name` of an execution of the scope: who
   * (`by`), when and why (`reason`) are a `governance_decision` WAL record,
   * and the waiting handler resumes with the decision. Once per name:
   * ConflictError when it was decided (or timed out) already, or the
   * execution has finished; NotFoundError outside the scope.
   */
  async decide(
    executionId: string, tenant: TenantScope, name: string, o: { decision: 'approve' | 'reject'; by: string; reason?: string | null },
  ): Promise<ApprovalResult> {
    checkName('approval', name);
    if (o.decision !== 'approve' && o.decision !== 'reject') {
      throw new InvalidRequestError(`decision must be 'approve' or 'reject', got ${JSON.stringify(o.decision)}`, [{ path: 'decision', message: 'approve or reject' }]);
    }
    if (typeof o.by !== 'string' || o.by === '') throw new InvalidRequestError('an approval decision names who made it (by)', [{ path: 'by', message: 'required' }]);
    if (o.reason != null && typeof o.reason !== 'string') throw new InvalidRequestError('reason must be a string', [{ path: 'reason', message: 'a string' }]);
    const at = this.d.now().toISOString();
    const result: ApprovalResult = {
      approved: o.decision === 'approve', decision: o.decision === 'approve' ? 'approved' : 'rejected', by: o.by, reason: o.reason ?? null, at,
    };
    const decided = await this.d.db.scoped(tenant).transaction(async (tx) => {
      const e = await this.#lock(tx, executionId, tenant);
      const approvals = await this.#journal.approvals(tx, executionId);
      if (approvals.done.includes(name) || (await this.#journal.sent(tx, executionId, approvalSignal(name)))) {
        throw new ConflictError(`approval '${name}' of execution ${executionId} was decided already`);
      }
      // Only an approval the handler waits for can be decided: a decision nobody asked for is not recorded.
      if (!approvals.waiting.includes(name)) {
        const waits = approvals.waiting.map((n) => `'${n}'`).join(', ');
        throw new ConflictError(`execution ${executionId} waits for no approval '${name}' (${waits ? `it waits for ${waits}` : 'it waits for no approval'})`);
      }
      const c = this.d.cipher;
      const data = c ? await c.seal(result, e.cover, signalRecordName(executionId, approvalSignal(name)), 'data') : result;
      await this.#journal.send(tx, { tenantId: e.tenantId, executionId, name: approvalSignal(name), data, sentBy: o.by });
      const record = { executionId, intentId: e.intentId, recordType: WalRecordType.GOVERNANCE_DECISION };
      const payload = c ? await sealWalPayload(c, approvalDecisionRecord(name, result), e.cover, walRecordName(record)) : approvalDecisionRecord(name, result);
      await this.d.wal.append(tx, [{ ...record, tenantId: e.tenantId, recordedAt: at, payload }]);
      await this.#journal.wakeIfSignalled(tx, executionId);
      return result;
    });
    this.d.relay?.kick();
    return decided;
  }

  /** The approvals executions of the scope wait for, oldest first (the approvals inbox). */
  waitingApprovals(tenant: TenantScope, limit?: number): Promise<WaitingApproval[]> {
    return this.#journal.waitingApprovals(tenant, limit);
  }

  async #lock(tx: { query: Db['query'] }, executionId: string, tenant: TenantScope): Promise<{ tenantId: string; intentId: string; cover: Cover }> {
    const rows = await tx.query<{ tenant_id: string; intent_id: string; status: string; session_id: string; parameters: unknown }>(
      `SELECT tenant_id, intent_id, status, session_id, parameters FROM symphainy.executions WHERE execution_id = $1 AND ($2::text IS NULL OR tenant_id = $2) FOR UPDATE`,
      [executionId, tenantParam(tenant)],
    );
    const e = rows[0];
    if (!e) throw new NotFoundError('execution', executionId);
    if (FINISHED.has(e.status)) throw new ConflictError(`execution ${executionId} is ${e.status}; it waits for nothing`);
    // What is sent to an execution is covered like the execution's own content.
    const parameters = this.d.cipher ? await openValue(this.d.cipher, e.parameters, e.tenant_id, `execution:${executionId}`, 'parameters') : e.parameters;
    const cover: Cover = this.d.cipher
      ? this.d.cipher.cover({ tenantId: e.tenant_id, sessionId: e.session_id, parameters })
      : { tenantId: e.tenant_id };
    return { tenantId: e.tenant_id, intentId: e.intent_id, cover };
  }
}

function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '' || name.length > 200) {
    throw new InvalidRequestError(`${what} name must be a non-empty string of at most 200 characters`, [{ path: 'name', message: 'non-empty, ≤ 200 characters' }]);
  }
}

function jsonOf(data: unknown): unknown {
  const text = JSON.stringify(data ?? null);
  if (text === undefined) throw new InvalidRequestError('signal data must be JSON', [{ path: 'data', message: 'JSON' }]);
  return JSON.parse(text);
}

import { createHash } from 'node:crypto';
import type { ContentCipher } from '../crypto/content-cipher.ts';
import type { SubjectRef } from '../crypto/scope.ts';
import type { Db, Queryable } from '../db/db.ts';
import { ANY_TENANT } from '../db/tenant-scope.ts';
import { iso, type PageKey } from '../db/sql.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.ts';
import { SAFE_ID, TENANT_ID } from '../intent/intent.ts';
import type { CompiledPolicy, LayerVerdict } from '../policy/compile-policy.ts';
import type { PolicyDecision, PolicyInput } from '../policy/decision.ts';
import type { PolicyVersions } from '../store/policy-versions.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import {
  CheckpointStore,
  sweepCheckpoints,
  type CheckpointInput,
  type CheckpointKey,
  type CheckpointSelection,
  type CheckpointSweepReport,
  type StoredCheckpoint,
  type StoredWrite,
} from './checkpoint-store.ts';
import { listThreadCheckpoints, threadExists, type CheckpointThread } from './checkpoint-listing.ts';

/** The result type the materialization policy decides checkpoints under. */
export const CHECKPOINT_RESULT_TYPE = 'checkpoint';

export interface CheckpointDeps {
  readonly db: Db;
  readonly wal: WriteAheadLog;
  readonly policies: PolicyVersions;
  /** The policy deciding for a tenant now (the runtime's live policy). */
  readonly policyFor: (tenantId: string, solutionId: string | undefined) => CompiledPolicy;
  /** The database's time: stamps decisions and holds. */
  readonly now: () => Date;
  /** Seals checkpoint content at rest and keys subject digests (encryption on); absent: clear, sha256 digests. */
  readonly cipher?: ContentCipher;
  /** Told once per tenant when the policy's fallback discards checkpoints (a graph cannot resume). */
  readonly warn?: (fields: Record<string, unknown>, message: string) => void;
}

/** A checkpoint's recorded decision and every policy layer's verdict under the policy that decided. */
export interface CheckpointDecisionExplanation {
  readonly threadId: string;
  readonly checkpointNs: string;
  readonly checkpointId: string;
  readonly recorded: PolicyDecision & { readonly recordedAt: string; readonly seq: number; readonly pruned: number };
  readonly inputs: PolicyInput;
  /** Null when the deciding policy is not stored. */
  readonly chain: readonly LayerVerdict[] | null;
  readonly note?: string;
}

/** What an erasure did to checkpoints. */
export interface CheckpointErasure {
  readonly threadsErased: readonly string[];
  /** Threads in scope a legal hold kept. */
  readonly threadsHeld: readonly string[];
  readonly checkpointsDeleted: number;
  readonly writesDeleted: number;
}

/** Checks a thread id (the thread's session id in erasure). @throws InvalidRequestError naming `field`. */
export function checkThreadId(threadId: unknown, field: string): asserts threadId is string {
  if (typeof threadId !== 'string' || !SAFE_ID.test(threadId)) {
    const got = threadId === undefined ? 'it is missing' : `got ${JSON.stringify(threadId)}`;
    throw new InvalidRequestError(`${field} must be a thread id (letters, digits, . _ - : @; at most 128), ${got}`, [{ path: field, message: 'is required (a valid thread id)' }]);
  }
}

/**
 * General notes: the runtime's checkpoints as governed content. The
 * materialization policy decides every checkpoint (result type
 * `checkpoint`): persist (with retention, optionally keeping only the latest
 * N per thread), cache (with a TTL) or discard; the decision is a
 * `governance_decision` WAL record in the same transaction as the stored
 * rows. Legal holds are per thread. Reads and writes of one tenant go
 * through {@link forTenant}.
 */
export class Checkpoints {
  /** Tenants already warned that no rule keeps their checkpoints. */
  readonly #warned = new Set<string>();

  constructor(private readonly d: CheckpointDeps) {}

  /** One tenant's checkpoints. @throws InvalidRequestError naming `tenantId` when it is missing or not a valid tenant id. */
  forTenant(tenantId: string): TenantCheckpoints {
    if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
      throw new InvalidRequestError(
        `tenantId must be a tenant id (letters, digits, . _ - : @; at most 128; not starting with 'symphainy:'), got ${tenantId === undefined ? 'nothing' : JSON.stringify(tenantId)}`,
        [{ path: 'tenantId', message: 'is required (a valid tenant id)' }],
      );
    }
    return new TenantCheckpoints(this.d, tenantId, this.#warned);
  }

  /** Deletes every tenant's checkpoints whose retention ended or TTL passed, except on held threads. */
  sweep(): Promise<CheckpointSweepReport> {
    return sweepCheckpoints(this.d.db, ANY_TENANT);
  }

  /**
   * Erases a tenant's threads: every thread, one thread (`sessionId` is the
   * thread id) or the threads a subject appears in (a top-level value of a
   * checkpoint's metadata or config). Held threads are left and reported.
   */
  async erase(scope: { tenantId: string; sessionId?: string; subject?: { key: string; value: string } }): Promise<CheckpointErasure> {
    const own = this.forTenant(scope.tenantId);
    let threads: string[] | null = null;
    if (scope.sessionId !== undefined) threads = [scope.sessionId];
    if (scope.subject !== undefined) {
      const bySubject = await own.store.threadsWithSubject(await subjectDigest(this.d.cipher, scope.tenantId, scope.subject.key, scope.subject.value));
      threads = threads === null ? bySubject : threads.filter((t) => bySubject.includes(t));
    }
    if (threads !== null && threads.length === 0) return { threadsErased: [], threadsHeld: [], checkpointsDeleted: 0, writesDeleted: 0 };
    const r = await this.d.db.scoped(scope.tenantId).transaction((tx) => own.store.deleteThreads(tx, threads));
    return { threadsErased: r.deleted, threadsHeld: r.held, checkpointsDeleted: r.checkpoints, writesDeleted: r.writes };
  }
}

/**
 * The digest of `key=value` a checkpoint is found by in an erasure by
 * subject. With encryption on it is an HMAC under the tenant's data key
 * (purpose `checkpoint-subject`), so nobody without the keys can confirm a
 * guessed value from a row, a dump or a dead row version, and none can once
 * the tenant is erased; with encryption off, a sha256.
 */
export async function subjectDigest(cipher: ContentCipher | undefined, tenantId: string, key: string, value: string | number): Promise<string> {
  const text = `${key}=${value}`;
  if (!cipher) return createHash('sha256').update(text).digest('hex');
  return (await cipher.envelope.keyedHash(text, { tenantId }, 'checkpoint-subject')).hex;
}

/** A subject value a key scope accepts: a non-empty string or finite number of at most 1 KiB. */
const MAX_SUBJECT_BYTES = 1024;

/** The declared subjects among `key=value` pairs: the scopes whose keys also cover the content. */
function declaredSubjects(cipher: ContentCipher | undefined, tenantId: string, values: readonly (readonly [string, string])[]): SubjectRef[] {
  if (!cipher) return [];
  const names = new Set(cipher.subjectNames(tenantId));
  const seen = new Set<string>();
  const out: SubjectRef[] = [];
  for (const [name, value] of values) {
    if (!names.has(name) || value === '' || Buffer.byteLength(value) > MAX_SUBJECT_BYTES || seen.has(`${name}=${value}`)) continue;
    seen.add(`${name}=${value}`);
    out.push({ name, value });
  }
  return out;
}

/** One tenant's checkpoints: governed writes, reads, legal holds and explanations. */
export class TenantCheckpoints {
  readonly store: CheckpointStore;

  constructor(
    private readonly d: CheckpointDeps,
    readonly tenantId: string,
    private readonly warned: Set<string> = new Set(),
  ) {
    this.store = new CheckpointStore(d.db, tenantId, d.cipher);
  }

  /**
   * Asks the policy about one checkpoint and records the decision in the
   * WAL; stores it (persist or cache) in the same transaction, or only
   * records the decision (discard).
   */
  async put(
    given: Omit<CheckpointInput, 'subjectHashes' | 'subjects'> & {
      readonly sizeBytes: number;
      /** Top-level `key=value` pairs of the checkpoint's metadata and config: what an erasure by subject finds it by. */
      readonly subjectValues: readonly (readonly [string, string])[];
    },
  ): Promise<PolicyDecision> {
    const { subjectValues, ...rest } = given;
    const input: CheckpointInput & { readonly sizeBytes: number } = {
      ...rest,
      subjectHashes: [...new Set(await Promise.all(subjectValues.map(([k, v]) => subjectDigest(this.d.cipher, this.tenantId, k, v))))],
      subjects: declaredSubjects(this.d.cipher, this.tenantId, subjectValues),
    };
    const policy = this.d.policyFor(this.tenantId, undefined);
    const inputs: PolicyInput = { resultType: CHECKPOINT_RESULT_TYPE, tenantId: this.tenantId, sizeBytes: input.sizeBytes };
    const decision = policy.evaluate(inputs);
    if (decision.decision === 'discard' && decision.layer === 'fallback' && !this.warned.has(this.tenantId)) {
      // No layer names checkpoints: every one is dropped and a graph cannot resume. Legal, but rarely meant.
      this.warned.add(this.tenantId);
      this.d.warn?.(
        { tenantId: this.tenantId, resultType: CHECKPOINT_RESULT_TYPE, policyVersion: decision.policyVersion },
        `no policy rule names result type '${CHECKPOINT_RESULT_TYPE}', so the fallback discards tenant '${this.tenantId}'s checkpoints and a graph cannot resume; add a rule (e.g. checkpoint: { decision: persist, keep_latest: 10 })`,
      );
    }
    const at = this.d.now().toISOString();
    await this.d.policies.record(policy, this.d.now());
    await this.d.db.scoped(this.tenantId).transaction(async (tx) => {
      const pruned = decision.decision === 'discard'
        ? 0
        : await this.store.put(tx, input, {
            decision: decision.decision,
            ...(decision.retentionSeconds === undefined ? {} : { retentionSeconds: decision.retentionSeconds }),
            ...(decision.ttlSeconds === undefined ? {} : { ttlSeconds: decision.ttlSeconds }),
            ...(decision.keepLatest === undefined ? {} : { keepLatest: decision.keepLatest }),
          });
      await this.d.wal.append(tx, [{
        tenantId: this.tenantId, executionId: null, intentId: null, recordType: WalRecordType.GOVERNANCE_DECISION, recordedAt: at,
        payload: {
          kind: 'checkpoint', threadId: input.threadId, checkpointNs: input.checkpointNs, checkpointId: input.checkpointId,
          resultType: CHECKPOINT_RESULT_TYPE, ...decision, pruned, inputs,
        },
      }]);
    });
    return decision;
  }

  /** Stores a task's pending writes; `subjectValues` (the config's top-level pairs) add declared subjects to their cover. */
  putWrites(key: CheckpointKey, writes: readonly StoredWrite[], replace: boolean, subjectValues: readonly (readonly [string, string])[] = []): Promise<void> {
    return this.store.putWrites(key, writes, replace, declaredSubjects(this.d.cipher, this.tenantId, subjectValues));
  }

  get(threadId: string, checkpointNs: string, checkpointId: string | undefined): Promise<StoredCheckpoint | undefined> {
    return this.store.get(threadId, checkpointNs, checkpointId);
  }

  list(selection: CheckpointSelection, limit: number, after?: CheckpointKey): Promise<StoredCheckpoint[]> {
    return this.store.list(selection, limit, after);
  }

  /**
   * A thread as an operator lists it: its legal hold and a page of its
   * checkpoints, newest first, with their recorded decisions and no content;
   * null when the tenant has no such thread (see {@link hasThread}).
   */
  async thread(threadId: string, page: { readonly limit: number; readonly before?: PageKey }): Promise<CheckpointThread | null> {
    checkThreadId(threadId, 'threadId');
    if (!(await this.hasThread(threadId))) return null;
    const [legalHold, checkpoints] = await Promise.all([
      this.store.hold(threadId),
      listThreadCheckpoints(this.d.db, this.tenantId, threadId, page.limit, page.before),
    ]);
    return { threadId, legalHold, checkpoints };
  }

  /** Whether the tenant has the thread: a stored checkpoint, a pending write or a legal hold (a hold may precede the first checkpoint). */
  hasThread(threadId: string): Promise<boolean> {
    return threadExists(this.d.db, this.tenantId, threadId);
  }

  /** Deletes a thread's checkpoints and writes. @throws ConflictError when the thread is under a legal hold. */
  async deleteThread(threadId: string): Promise<void> {
    checkThreadId(threadId, 'threadId');
    await this.d.db.scoped(this.tenantId).transaction(async (tx) => {
      const r = await this.store.deleteThreads(tx, [threadId]);
      if (r.held.length > 0) throw new ConflictError(`thread '${threadId}' is under a legal hold; release it before deleting the thread`);
    });
  }

  /**
   * Places a legal hold on a thread (recorded in the WAL): nothing of it is
   * pruned, swept, erased or deleted until released. On a held thread it
   * replaces the reason, as on an artifact, so a repeated request succeeds.
   */
  async hold(threadId: string, reason: string): Promise<{ threadId: string; reason: string; since: string }> {
    checkThreadId(threadId, 'threadId');
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new InvalidRequestError('a legal hold needs a reason', [{ path: 'reason', message: 'is required' }]);
    }
    const at = this.d.now().toISOString();
    await this.d.db.scoped(this.tenantId).transaction(async (tx) => {
      await this.store.setHold(tx, threadId, { reason: reason.trim(), at });
      await this.#recordHold(tx, { threadId, action: 'hold', reason: reason.trim() }, at);
    });
    return { threadId, reason: reason.trim(), since: at };
  }

  /** Releases a thread's legal hold. @throws ConflictError when it has none. */
  async release(threadId: string): Promise<void> {
    checkThreadId(threadId, 'threadId');
    const at = this.d.now().toISOString();
    await this.d.db.scoped(this.tenantId).transaction(async (tx) => {
      if (!(await this.store.setHold(tx, threadId, null))) throw new ConflictError(`thread '${threadId}' has no legal hold to release`);
      await this.#recordHold(tx, { threadId, action: 'release' }, at);
    });
  }

  /**
   * The recorded decision for one checkpoint and every layer's verdict under
   * the policy version that decided. @throws NotFoundError when no decision
   * for it is recorded for this tenant.
   */
  async explain(threadId: string, checkpointId: string, checkpointNs = ''): Promise<CheckpointDecisionExplanation> {
    const rows = await this.d.db.scoped(this.tenantId).query<{ seq: string | number; payload: Record<string, unknown>; recorded_at: unknown }>(
      `SELECT seq, payload, recorded_at FROM symphainy.wal
        WHERE tenant_id = $1 AND record_type = 'governance_decision' AND payload->>'kind' = 'checkpoint'
          AND payload->>'threadId' = $2 AND payload->>'checkpointNs' = $3 AND payload->>'checkpointId' = $4
        ORDER BY seq DESC LIMIT 1`,
      [this.tenantId, threadId, checkpointNs, checkpointId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('checkpoint decision', checkpointId, `no decision is recorded for checkpoint '${checkpointId}' of thread '${threadId}'`);
    const { kind: _k, threadId: _t, checkpointNs: _n, checkpointId: _c, resultType: _r, inputs, pruned, ...decision } = row.payload;
    const recorded = { ...(decision as unknown as PolicyDecision), recordedAt: iso(row.recorded_at)!, seq: Number(row.seq), pruned: Number(pruned ?? 0) };
    const base = { threadId, checkpointNs, checkpointId, recorded, inputs: inputs as PolicyInput };
    const policy = await this.d.policies.get(recorded.policyVersion);
    if (!policy) return { ...base, chain: null, note: `policy ${recorded.policyVersion} is not stored, so its layers cannot be shown` };
    const explanation = policy.explain(base.inputs);
    const same = explanation.result.decision === recorded.decision && explanation.result.layer === recorded.layer;
    return {
      ...base,
      chain: explanation.chain,
      ...(same ? {} : { note: `re-evaluating gives ${explanation.result.decision} by ${explanation.result.layer}, not the recorded decision` }),
    };
  }

  async #recordHold(tx: Queryable, payload: Record<string, unknown>, at: string): Promise<void> {
    await this.d.wal.append(tx, [{ tenantId: this.tenantId, executionId: null, intentId: null, recordType: WalRecordType.LEGAL_HOLD, payload, recordedAt: at }]);
  }
}

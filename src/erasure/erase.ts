import { randomUUID } from 'node:crypto';
import type { CacheStore } from '../cache/cache-store.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { SAFE_ID, TENANT_ID } from '../intent/intent.ts';
import type { ArtifactLifecycle } from '../retention/artifact-lifecycle.ts';
import type { CheckpointErasure, Checkpoints } from '../checkpoints/checkpoint-governance.ts';
import type { ArtifactIndex } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { KeyScope } from '../crypto/scope.ts';
import type { RecordCipher } from '../store/record-cipher.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';

/** What to erase: a tenant's data, one session of it, or what belongs to one subject (a top-level intent parameter). */
export interface ErasureScope {
  readonly tenantId: string;
  readonly sessionId?: string;
  /** Executions whose intent parameters have `key` equal to `value` (e.g. `customer_id=42`). */
  readonly subject?: { readonly key: string; readonly value: string };
}

/** What an erasure removed: counts and ids, never content. Also written to the WAL as one `erasure` record. */
export interface ErasureReport {
  readonly erasureId: string;
  readonly at: string;
  /**
   * The scope. A subject's value is personal data itself, so it is kept only as `valueHmac`: hex
   * HMAC-SHA256 under the subject's key (the tenant's when the subject has no live key), which nobody can
   * recompute to confirm a guessed value once that key is destroyed. With encryption off there is no such
   * key and a plain hash could be brute-forced, so only the subject's key name is recorded.
   */
  readonly scope: { readonly tenantId: string; readonly sessionId?: string; readonly subject?: { readonly key: string; readonly valueHmac?: string } };
  readonly executions: readonly string[];
  /** Queued, running or waiting executions in scope, left alone: erase again once they finish. */
  readonly unfinished: readonly string[];
  /**
   * Encryption keys: the data key ids destroyed (every copy of what they sealed — dead rows, database WAL,
   * backups, dumps — is unreadable now; a subject's keys are found in the key store whether or not this
   * runtime's platform policy declares it), or why none were: `kept` (a legal hold or an unfinished
   * execution in scope still needs them), `off` (encryption off). `fallback` says what was only redacted
   * (and the touched tables vacuumed on the embedded store): a subject that never had a key of its own
   * (never declared), or executions of it sealed without its key. Nothing matched: every list empty, no
   * `fallback`.
   */
  readonly keys: { readonly destroyed: readonly string[]; readonly kept?: string; readonly fallback?: string; readonly off?: true };
  readonly artifactsDeleted: readonly string[];
  /** Artifacts a legal hold kept (renderings and index row untouched). */
  readonly held: readonly { readonly artifactId: string; readonly reason: string }[];
  readonly cacheEntriesRemoved: number;
  readonly walRecordsRedacted: number;
  readonly outboxEventsRedacted: number;
  /** Rendering removals (blobs, rows kept in the database) that failed; retried by the sweep. */
  readonly blobFailures: readonly { readonly artifactId: string; readonly message: string }[];
  /** LangGraph checkpoints of the scope (a session is a thread id; a subject, a top-level value of a checkpoint's metadata or config). */
  readonly checkpoints: CheckpointErasure;
  /**
   * Traces whose spans carried content of the erased executions (a policy's
   * `trace: include`). The runtime cannot delete spans from a tracing
   * backend: purge these trace ids there to complete the erasure.
   */
  readonly traceIdsWithContent: readonly string[];
}

export interface ErasureDeps {
  readonly db: Db;
  readonly wal: WriteAheadLog;
  readonly artifactIndex: ArtifactIndex;
  readonly lifecycle: ArtifactLifecycle;
  readonly cache: CacheStore;
  readonly checkpoints: Checkpoints;
  readonly now: () => Date;
  /** The data keys (encryption on); absent: encryption off. */
  readonly keyring?: Keyring | null;
  /** Opens sealed parameters (encryption on). */
  readonly records?: RecordCipher;
  /** The embedded store: its touched tables are vacuumed after a redaction-only erasure. */
  readonly embedded?: boolean;
}

/** What a subject's key may be: a top-level intent parameter name. */
export const PARAM_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Erases a scope everywhere the runtime keeps it: renderings (blobs) and
 * index rows become tombstones, cache entries go, semantic payloads, intent
 * parameters, results, error messages and outbox payloads are replaced by a
 * redaction marker, and WAL records keep their hashes (content is hashed
 * apart from the record), so `wal verify` still passes. Legal holds keep
 * their artifacts and are reported.
 */
export async function erase(d: ErasureDeps, scope: ErasureScope): Promise<ErasureReport> {
  checkScope(scope);
  const erasureId = `erasure_${randomUUID()}`;
  const at = d.now().toISOString();
  const q = d.db.scoped(scope.tenantId);
  const marker = JSON.stringify({ redacted: true, erasureId });

  const keyring = d.records && d.keyring ? d.keyring : null;
  const declared = scope.subject !== undefined && keyring !== null && d.records!.content.subjectNames(scope.tenantId).includes(scope.subject.key);
  const subjectScope = scope.subject ? { kind: 'subject' as const, tenantId: scope.tenantId, name: scope.subject.key, value: scope.subject.value } : null;
  // The subject's keys, found by its keyed id in the key store whether or not this runtime's platform
  // policy declares it (a runtime that did sealed under them; they must not outlive the erasure).
  const generations = subjectScope && keyring ? await keyring.generations(subjectScope) : [];
  const subjectKeys = generations.map((g) => g.keyId);
  // Found by the ids of its keys where the subject is declared, by opening the parameters where it is not.
  const rows = (await q.query<{ execution_id: string; status: string; parameters: unknown; key_ids: string[] | null; content_trace_ids: string[] | null }>(
    `SELECT execution_id, status, parameters, key_ids, content_trace_ids FROM symphainy.executions
      WHERE tenant_id = $1 AND ($2::text IS NULL OR session_id = $2)
        AND ($3::text IS NULL OR NOT $6 OR (jsonb_typeof(parameters) = 'object' AND parameters ->> $3 = $4) OR key_ids && $5::text[])
        AND NOT (jsonb_typeof(parameters) = 'object' AND parameters ? 'redacted')
      ORDER BY execution_id`,
    [scope.tenantId, scope.sessionId ?? null, scope.subject?.key ?? null, scope.subject?.value ?? null, subjectKeys,
     !scope.subject || declared || !d.records],
  ));
  const sealedUnder = new Set(subjectKeys);
  const matched = scope.subject && !declared && d.records
    ? await filterAsync(rows, async (r) => {
      if (r.key_ids?.some((id) => sealedUnder.has(id))) return true;
      const p = await d.records!.open(r.parameters, scope.tenantId, `execution:${r.execution_id}`, 'parameters');
      return p !== null && typeof p === 'object' && (p as Record<string, unknown>)[scope.subject!.key] === scope.subject!.value;
    })
    : rows;
  const unfinished = matched.filter((r) => UNFINISHED.has(r.status)).map((r) => r.execution_id);
  const erased = matched.filter((r) => !UNFINISHED.has(r.status));
  const executions = erased.map((r) => r.execution_id);
  const traceIdsWithContent = [...new Set(erased.flatMap((r) => r.content_trace_ids ?? []))].sort();
  // Keyed before its key can be destroyed (then no guess can be confirmed); without encryption, not kept.
  // Under the subject's live key where it has one, else the tenant's: a digest never makes a key.
  const subjectLive = generations.some((g) => g.state === 'live');
  const valueHmac = scope.subject && keyring
    ? (await d.records!.content.envelope.keyedHash(scope.subject.value, {
      tenantId: scope.tenantId, ...(subjectLive ? { subjects: [{ name: scope.subject.key, value: scope.subject.value }] } : {}),
    }, 'erasure-subject')).hex
    : undefined;
  // Executions of the subject sealed without its key (written while it was not declared): only redacted.
  const withoutKey = scope.subject && keyring ? matched.filter((r) => !r.key_ids?.some((id) => sealedUnder.has(id))).length : 0;

  // Renderings: tombstones first (holds win), then the blobs.
  const artifacts = (await d.artifactIndex.byExecutions(scope.tenantId, executions)).filter((a) => !a.deleted);
  const { deleted, held } = await d.lifecycle.delete(artifacts, 'erasure');
  const blobFailures = await d.lifecycle.purge(Math.max(500, deleted.length));

  // Cache entries of those executions (expired ones first disappear for good).
  await d.cache.purgeExpired(d.now());
  // One lookup for the scope's session (or tenant), not one per execution.
  const inScope = new Set(executions);
  const cached = (await d.cache.get({ tenantId: scope.tenantId, ...(scope.sessionId ? { sessionId: scope.sessionId } : {}) }, d.now()))
    .filter((e) => inScope.has(e.executionId));
  await d.cache.delete(cached.map((e) => e.cacheId));
  const cacheEntriesRemoved = cached.length;

  // Checkpoints are content of the thread (= session): deleted outright, held threads left.
  const checkpoints = await d.checkpoints.erase(scope);

  const counts = await q.transaction(async (tx) => {
    await tx.query(
      `UPDATE symphainy.executions
          SET parameters = $3::jsonb, state = $3::jsonb, result = CASE WHEN result IS NULL THEN NULL ELSE $3::jsonb END,
              error = CASE WHEN error IS NULL THEN NULL ELSE jsonb_build_object('code', error->>'code', 'message', 'redacted by erasure') END
        WHERE tenant_id = $1 AND execution_id = ANY($2::text[])`,
      [scope.tenantId, executions, marker],
    );
    // Intent records lose everything; decisions keep what explains them (not their inputs: an artifact's
    // tags are the realm's words); transitions lose error messages.
    const wal = await tx.query(
      `UPDATE symphainy.wal SET payload = CASE record_type
          WHEN 'governance_decision' THEN $3::jsonb || jsonb_strip_nulls(jsonb_build_object(
            'artifactKey', payload->'artifactKey', 'resultType', payload->'resultType', 'decision', payload->'decision',
            'layer', payload->'layer', 'policyVersion', payload->'policyVersion', 'ruleId', payload->'ruleId', 'kind', payload->'kind',
            'config', payload->'config', 'ttlSeconds', payload->'ttlSeconds', 'retentionSeconds', payload->'retentionSeconds', 'trace', payload->'trace',
            -- A policy's reason is the policy's words; an approval's is a person's, and goes.
            'reason', CASE WHEN payload->>'kind' = 'approval' THEN NULL ELSE payload->'reason' END,
            -- Budgets: which limit, how much; approvals: which, by whom, when.
            'scope', payload->'scope', 'limit', payload->'limit', 'max', payload->'max', 'used', payload->'used', 'when', payload->'when',
            'approval', payload->'approval', 'approved', payload->'approved', 'by', payload->'by', 'at', payload->'at'))
          WHEN 'state_transition' THEN $3::jsonb || (payload - 'error') || jsonb_build_object('error', jsonb_build_object('code', payload->'error'->>'code'))
          ELSE $3::jsonb END
        WHERE tenant_id = $1 AND NOT (payload ? 'redacted')
          AND ((execution_id = ANY($2::text[])
                AND (record_type IN ('intent', 'governance_decision') OR (record_type = 'state_transition' AND payload ? 'error')))
               OR (record_type = 'intent_rejected' AND $4::boolean AND ($5::text IS NULL OR payload->'intent'->>'sessionId' = $5)))
       RETURNING seq`,
      [scope.tenantId, executions, marker, scope.subject === undefined, scope.sessionId ?? null],
    );
    const outbox = await tx.query(
      'UPDATE symphainy.outbox SET payload = $3::jsonb WHERE tenant_id = $1 AND execution_id = ANY($2::text[]) RETURNING seq',
      [scope.tenantId, executions, marker],
    );
    // Partial output a policy kept (result type stream) is content like any rendering.
    await tx.query('DELETE FROM symphainy.stream_chunks WHERE tenant_id = $1 AND execution_id = ANY($2::text[])', [scope.tenantId, executions]);
    // Step results, details and signals are content too.
    await tx.query('DELETE FROM symphainy.execution_steps WHERE tenant_id = $1 AND execution_id = ANY($2::text[])', [scope.tenantId, executions]);
    await tx.query('DELETE FROM symphainy.execution_signals WHERE tenant_id = $1 AND execution_id = ANY($2::text[])', [scope.tenantId, executions]);
    return { wal: wal.length, outbox: outbox.length };
  });

  const keys = await destroyKeys(d, keyring, scope, { subject: subjectScope, keys: subjectKeys, withoutKey, declared },
    { unfinished, held: held.length, heldThreads: checkpoints.threadsHeld.length });

  const report: ErasureReport = {
    erasureId,
    at,
    scope: {
      tenantId: scope.tenantId,
      ...(scope.sessionId ? { sessionId: scope.sessionId } : {}),
      ...(scope.subject ? { subject: { key: scope.subject.key, ...(valueHmac ? { valueHmac } : {}) } } : {}),
    },
    executions,
    unfinished,
    artifactsDeleted: deleted.map((a) => a.artifactId),
    held: held.map((a) => ({ artifactId: a.artifactId, reason: a.legalHold?.reason ?? '' })),
    cacheEntriesRemoved,
    walRecordsRedacted: counts.wal,
    outboxEventsRedacted: counts.outbox,
    blobFailures,
    checkpoints,
    traceIdsWithContent,
    keys,
  };
  await q.transaction((tx) =>
    d.wal.append(tx, [{ tenantId: scope.tenantId, executionId: null, intentId: null, recordType: WalRecordType.ERASURE, payload: { ...report }, recordedAt: at }]),
  );
  return report;
}

function checkScope(scope: ErasureScope): void {
  const issues: { path: string; message: string }[] = [];
  if (typeof scope?.tenantId !== 'string' || !TENANT_ID.test(scope.tenantId)) issues.push({ path: 'tenantId', message: 'is required (a valid tenant id)' });
  if (scope?.sessionId !== undefined && (typeof scope.sessionId !== 'string' || !SAFE_ID.test(scope.sessionId))) {
    issues.push({ path: 'sessionId', message: 'is not a valid session id' });
  }
  if (scope?.subject !== undefined) {
    if (typeof scope.subject.key !== 'string' || !PARAM_KEY.test(scope.subject.key)) issues.push({ path: 'subject.key', message: 'must be a parameter name' });
    if (typeof scope.subject.value !== 'string' || scope.subject.value === '') issues.push({ path: 'subject.value', message: 'must be a non-empty string' });
  }
  if (issues.length > 0) {
    throw new InvalidRequestError(`invalid erasure scope: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
}

const UNFINISHED = new Set(['queued', 'running', 'waiting']);

async function filterAsync<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (const item of items) if (await keep(item)) out.push(item);
  return out;
}

/**
 * Destroys the scope's keys — the tenant's (every key of it), the
 * session's, or the subject's (found in the key store whether or not the
 * platform policy declares it) — unless something in scope still needs them.
 * A subject without a key of its own, and executions of it sealed without
 * that key, are redacted only: their rows' old versions are vacuumed away
 * on the embedded store instead.
 */
async function destroyKeys(
  d: ErasureDeps, keyring: Keyring | null, scope: ErasureScope,
  subject: { subject: KeyScope | null; keys: readonly string[]; withoutKey: number; declared: boolean },
  inScope: { unfinished: readonly string[]; held: number; heldThreads: number },
): Promise<ErasureReport['keys']> {
  // VACUUM FULL rewrites each table, so no dead version of a redacted row stays in its files.
  const vacuum = () => d.db.scoped(scope.tenantId).query(`VACUUM FULL ${TOUCHED.map((t) => `symphainy.${t}`).join(', ')}`);
  const vacuumed = d.embedded ? ' and the touched tables vacuumed (VACUUM FULL)' : '';
  if (!keyring) {
    if (d.embedded) await vacuum();
    return {
      destroyed: [],
      off: true,
      fallback: `encryption at rest is off, so no key could be destroyed: the content was redacted${vacuumed}; ` +
        `copies made before (backups, dumps, the database's WAL segments until they are recycled${d.embedded ? '' : ', dead row versions until VACUUM'}) still hold it in clear`,
    };
  }
  const n = subject.withoutKey;
  const fallback = scope.subject && n > 0
    ? (subject.keys.length === 0
      ? `subject '${scope.subject.key}' has no key of its own (${subject.declared ? '' : "it is not declared in the platform policy's subjects, and "}no record was sealed under a key of it): `
      : `${n} execution${n > 1 ? 's' : ''} of subject '${scope.subject.key}' ${n > 1 ? 'were' : 'was'} sealed without its key (written while it was not declared): `) +
      `their content was redacted${vacuumed}; copies made before (backups, dumps) still hold it sealed under the tenant's keys`
    : undefined;
  if (fallback && d.embedded) await vacuum();
  if (scope.subject && subject.keys.length === 0) return { destroyed: [], ...(fallback ? { fallback } : {}) };
  const reasons = [
    ...(inScope.unfinished.length > 0 ? [`${inScope.unfinished.length} unfinished execution${inScope.unfinished.length > 1 ? 's' : ''} (queued, running or waiting) in scope`] : []),
    ...(inScope.held > 0 ? [`${inScope.held} artifact${inScope.held > 1 ? 's' : ''} under legal hold in scope`] : []),
    ...(inScope.heldThreads > 0 ? [`${inScope.heldThreads} LangGraph thread${inScope.heldThreads > 1 ? 's' : ''} under legal hold in scope`] : []),
  ];
  if (reasons.length > 0) {
    return { destroyed: [], kept: `keys kept: ${reasons.join(' and ')} still need them; erase again once they are finished or released`, ...(fallback ? { fallback } : {}) };
  }
  const destroyed = subject.subject
    ? await keyring.destroy(subject.subject)
    : scope.sessionId
      ? await keyring.destroy({ kind: 'session', tenantId: scope.tenantId, sessionId: scope.sessionId })
      : await keyring.destroyTenant(scope.tenantId);
  return { destroyed, ...(fallback ? { fallback } : {}) };
}

/** The tables an erasure rewrites or deletes from. */
const TOUCHED = [
  'executions', 'wal', 'outbox', 'stream_chunks', 'execution_steps', 'execution_signals', 'cache_entries', 'artifact_contents', 'artifacts',
  'checkpoints', 'checkpoint_blobs', 'checkpoint_writes',
];

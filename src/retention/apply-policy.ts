import { PLATFORM_TENANT } from '../intent/intent.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { ArtifactIndex, ArtifactRecord } from '../store/artifact-index.ts';
import type { Db } from '../store/db.ts';
import type { PolicyVersions } from '../store/policy-versions.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import type { ArtifactLifecycle } from './artifact-lifecycle.ts';

export interface ApplyReport {
  readonly policyVersion: string;
  readonly at: string;
  readonly retroactive: boolean;
  /** Live persisted artifacts re-evaluated (retroactive only). */
  readonly checked: number;
  /** Deleted because the policy now discards them (tombstones stay). */
  readonly deleted: readonly string[];
  /** Kept by a legal hold although the policy now discards them. */
  readonly held: readonly { readonly artifactId: string; readonly reason: string }[];
  /** Still persisted, with retention now from the new policy. */
  readonly retentionChanged: number;
  /** The policy would cache them now; a retroactive apply leaves stored renderings persisted. */
  readonly leftPersisted: number;
  /** Artifacts whose decision inputs were erased: left as they are. */
  readonly skipped: number;
  readonly blobFailures: readonly { readonly artifactId: string; readonly message: string }[];
}

const PAGE = 1000;

/**
 * Activates a policy (recorded in `policy_activations` and as a WAL record)
 * and, retroactively, re-applies it to stored artifacts: renderings it
 * would now discard are deleted (tombstones and WAL records stay; legal
 * holds win), retention is recomputed for those it still persists.
 */
export async function applyPolicy(
  d: { db: Db; wal: WriteAheadLog; artifactIndex: ArtifactIndex; lifecycle: ArtifactLifecycle; policies: PolicyVersions; now: () => Date },
  policy: CompiledPolicy,
  options: { retroactive: boolean },
): Promise<ApplyReport> {
  const at = d.now();
  await d.policies.activate(policy, at, options.retroactive);
  let checked = 0;
  let skipped = 0;
  let leftPersisted = 0;
  const retention = new Map<string, { artifactId: string; retainUntil: string | null }[]>();
  const discard: ArtifactRecord[] = [];
  if (options.retroactive) {
    for (let after = ''; ; ) {
      const page = await d.artifactIndex.liveWithInputs(after, PAGE);
      for (const { artifact, inputs } of page) {
        after = artifact.artifactId;
        if (!inputs) {
          skipped++;
          continue;
        }
        checked++;
        const now = policy.evaluate(inputs);
        if (now.decision === 'discard') discard.push(artifact);
        else if (now.decision === 'cache') leftPersisted++;
        else {
          const retainUntil = now.retentionSeconds === undefined ? null : new Date(Date.parse(artifact.createdAt) + now.retentionSeconds * 1000).toISOString();
          if (retainUntil !== artifact.retainUntil) {
            const list = retention.get(artifact.tenantId) ?? [];
            list.push({ artifactId: artifact.artifactId, retainUntil });
            retention.set(artifact.tenantId, list);
          }
        }
      }
      if (page.length < PAGE) break;
    }
  }
  for (const [tenantId, changes] of retention) await d.artifactIndex.setRetention(tenantId, changes);
  const { deleted, held } = await d.lifecycle.delete(discard, `policy ${policy.version}`);
  const blobFailures = deleted.length > 0 ? await d.lifecycle.purge(Math.max(500, deleted.length)) : [];
  const report: ApplyReport = {
    policyVersion: policy.version,
    at: at.toISOString(),
    retroactive: options.retroactive,
    checked,
    deleted: deleted.map((a) => a.artifactId),
    held: held.map((a) => ({ artifactId: a.artifactId, reason: a.legalHold?.reason ?? '' })),
    retentionChanged: [...retention.values()].reduce((n, l) => n + l.length, 0),
    leftPersisted,
    skipped,
    blobFailures,
  };
  await d.db.scoped(PLATFORM_TENANT).transaction((tx) =>
    d.wal.append(tx, [{ tenantId: PLATFORM_TENANT, executionId: null, intentId: null, recordType: WalRecordType.POLICY_APPLIED, payload: { ...report }, recordedAt: report.at }]),
  );
  return report;
}

import { PLATFORM_TENANT } from '../intent/intent.ts';
import type { PolicyResolver } from '../policy/policy-resolver.ts';
import type { LivePolicy } from '../store/live-policy.ts';
import type { ArtifactIndex, ArtifactRecord } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import type { PolicyVersions } from '../store/policy-versions.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import type { ArtifactLifecycle } from './artifact-lifecycle.ts';

export interface ApplyReport {
  readonly policyVersion: string;
  readonly at: string;
  readonly retroactive: boolean;
  /** Live persisted artifacts re-evaluated (retroactive only), each once. */
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
 * Activates a policy set (recorded in `policy_activations` and as a WAL
 * record; runtimes following the active policy switch to it) and,
 * retroactively, re-applies it to stored artifacts — each under the policy
 * the resolver gives its tenant and solution: renderings it would now
 * discard are deleted (tombstones and WAL records stay; legal holds win),
 * retention is recomputed for those it still persists.
 */
export async function applyPolicy(
  d: { db: Db; wal: WriteAheadLog; artifactIndex: ArtifactIndex; lifecycle: ArtifactLifecycle; policies: PolicyVersions; now: () => Date; live?: LivePolicy },
  policy: PolicyResolver,
  options: { retroactive: boolean },
): Promise<ApplyReport> {
  const at = d.now();
  const seq = await d.policies.activate(policy, at, options.retroactive);
  d.live?.activated(policy, seq);
  let checked = 0;
  let skipped = 0;
  let leftPersisted = 0;
  const retention = new Map<string, { artifactId: string; retainUntil: string | null }[]>();
  const discard: ArtifactRecord[] = [];
  if (options.retroactive) {
    for (let after = ''; ; ) {
      const page = await d.artifactIndex.liveWithInputs(after, PAGE);
      for (const { artifact, inputs, solutionId } of page) {
        after = artifact.artifactId;
        if (!inputs) {
          skipped++;
          continue;
        }
        checked++;
        const now = policy.evaluate({ ...inputs, tenantId: artifact.tenantId, solutionId });
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
  const { deleted, held: heldAll } = await d.lifecycle.delete(discard, `policy ${policy.version}`);
  const held = [...new Map(heldAll.map((a) => [a.artifactId, a])).values()];
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

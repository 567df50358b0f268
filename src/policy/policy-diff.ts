import type { PolicyResolver } from './policy-resolver.ts';
import type { MaterializationDecision, PolicyInput, PolicyLayer } from './decision.ts';

/** One recorded decision, as the diff reads it from the WAL. */
export interface RecordedDecision {
  readonly seq: number;
  readonly tenantId: string;
  readonly executionId: string | null;
  readonly artifactKey: string;
  /** The solution its intent named (picks the solution's config); null when none. */
  readonly solutionId: string | null;
  readonly decision: MaterializationDecision;
  readonly layer: PolicyLayer;
  /** Null for a record whose inputs were erased: it cannot be re-evaluated. */
  readonly inputs: PolicyInput | null;
  readonly artifactId: string | null;
  readonly recordedAt: string;
}

/** Artifacts of one tenant and result type that would move from one decision to another. */
export interface DiffBucket {
  readonly tenantId: string;
  readonly resultType: string;
  readonly from: MaterializationDecision;
  readonly to: MaterializationDecision;
  count: number;
  bytes: number;
  /** Up to three of them, to look at. */
  readonly examples: { executionId: string | null; artifactKey: string; artifactId: string | null; recordedAt: string; nowLayer: PolicyLayer; nowReason: string; ruleId?: string }[];
}

export interface PolicyDiff {
  readonly candidateVersion: string;
  /** Decisions re-evaluated. */
  scanned: number;
  /** Decisions the candidate makes the same way. */
  unchanged: number;
  /** Decisions that cannot be re-evaluated (their inputs were erased). */
  skipped: number;
  /** Moves, largest first once finished. */
  readonly moves: DiffBucket[];
}

const EXAMPLES = 3;

/**
 * Re-evaluates recorded decisions under a candidate policy set — each under
 * the policy the resolver gives its tenant and solution — and tallies, per
 * tenant and result type, what would move between persist, cache and
 * discard (and how many bytes). Pure: it reads records, changes nothing.
 */
export class PolicyDiffer {
  readonly #diff: PolicyDiff;
  readonly #buckets = new Map<string, DiffBucket>();

  constructor(private readonly candidate: PolicyResolver) {
    this.#diff = { candidateVersion: candidate.version, scanned: 0, unchanged: 0, skipped: 0, moves: [] };
  }

  add(r: RecordedDecision): void {
    if (r.inputs === null) {
      this.#diff.skipped++;
      return;
    }
    this.#diff.scanned++;
    const now = this.candidate.evaluate({ ...r.inputs, tenantId: r.tenantId, solutionId: r.solutionId });
    if (now.decision === r.decision) {
      this.#diff.unchanged++;
      return;
    }
    const key = `${r.tenantId}\u0000${r.inputs.resultType}\u0000${r.decision}\u0000${now.decision}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tenantId: r.tenantId, resultType: r.inputs.resultType, from: r.decision, to: now.decision, count: 0, bytes: 0, examples: [] };
      this.#buckets.set(key, bucket);
      this.#diff.moves.push(bucket);
    }
    bucket.count++;
    bucket.bytes += r.inputs.sizeBytes ?? 0;
    if (bucket.examples.length < EXAMPLES) {
      bucket.examples.push({
        executionId: r.executionId, artifactKey: r.artifactKey, artifactId: r.artifactId, recordedAt: r.recordedAt,
        nowLayer: now.layer, nowReason: now.reason, ...(now.ruleId ? { ruleId: now.ruleId } : {}),
      });
    }
  }

  result(): PolicyDiff {
    this.#diff.moves.sort((a, b) => b.count - a.count || a.tenantId.localeCompare(b.tenantId) || a.resultType.localeCompare(b.resultType));
    return this.#diff;
  }
}

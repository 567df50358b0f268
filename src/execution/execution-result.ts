import type { MaterializationDecision, PolicyLayer } from '../policy/decision.ts';
import type { OutboxEvent } from '../store/outbox.ts';

/** What happened to one artifact of an execution, and why. */
export interface ArtifactOutcome {
  /** The key the realm used. */
  readonly key: string;
  readonly resultType: string;
  readonly decision: MaterializationDecision;
  readonly layer: PolicyLayer;
  readonly reason: string;
  readonly policyVersion: string;
  /** The governance rule that decided, when one did. */
  readonly ruleId?: string;
  /** Platform memory, kept whatever the decision. */
  readonly semanticPayload: Record<string, unknown> | null;
  /** Names of the renderings the decision governed. */
  readonly renderings: readonly string[];
  readonly sizeBytes: number;
  /** `persist`: the id in the artifact index. */
  readonly artifactId?: string;
  /** `persist`: where the manifest is in the blob store. */
  readonly storagePath?: string;
  /** `cache`: the cache entry's id. */
  readonly cacheId?: string;
  /** `cache`: when the cached renderings disappear. */
  readonly expiresAt?: string;
  /** `persist`/`cache`: whether the renderings were really kept. */
  readonly stored?: boolean;
  /** Why storing failed (the execution still completed). */
  readonly storageError?: string;
}

/** The outcome of `execute()`, also printed by `symphainy run --json`. */
export interface ExecutionResult {
  readonly executionId: string;
  readonly intentId: string;
  readonly intentType: string;
  readonly tenantId: string;
  readonly sessionId: string;
  /** `dead`: a queued execution's retry policy ran out of attempts; `queued`: an attempt failed and another is due. */
  readonly status: 'completed' | 'failed' | 'dead' | 'queued' | 'waiting';
  readonly error?: { readonly code: string; readonly message: string };
  readonly policyVersion: string;
  readonly artifacts: readonly ArtifactOutcome[];
  /** Realm and lifecycle events written to the outbox with this execution. */
  readonly events: readonly OutboxEvent[];
}

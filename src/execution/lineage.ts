import { ARTIFACT_ID } from '../artifacts/artifact-storage.ts';
import type { Intent } from '../intent/intent.ts';
import type { ArtifactIndex, ArtifactLineage } from '../store/artifact-index.ts';

const MAX_DEPTH = 16;

/**
 * Artifact ids named anywhere in the parameters (by value, at any key):
 * candidates for lineage. Only ids that exist for the intent's tenant count,
 * so naming another tenant's artifact neither links nor reveals it.
 */
export function artifactIdsIn(parameters: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof v === 'string') {
      if (ARTIFACT_ID.test(v)) found.add(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(parameters, 0);
  return [...found];
}

/** The lineage every artifact of an execution carries (the plan's "Smart City tags it with intent + lineage"). */
export async function tagLineage(
  index: ArtifactIndex,
  intent: Intent,
  executionId: string,
  realm: string,
): Promise<ArtifactLineage> {
  const candidates = artifactIdsIn(intent.parameters);
  return Object.freeze({
    tenantId: intent.tenantId,
    sessionId: intent.sessionId,
    intentId: intent.intentId,
    intentType: intent.intentType,
    executionId,
    realm,
    inputArtifactIds: await index.existing(candidates, intent.tenantId),
  });
}

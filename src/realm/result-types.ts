/**
 * Result types the runtime recognises by artifact key (the plan's
 * `_infer_result_type` list, plus `visual`, which the plan's DEFAULT_POLICY
 * names but its key list left out).
 */
export const KNOWN_RESULT_TYPES: ReadonlySet<string> = new Set([
  'workflow',
  'sop',
  'blueprint',
  'solution',
  'roadmap',
  'poc',
  'visual',
]);

/** The result type of artifacts nothing identifies. */
export const UNKNOWN_RESULT_TYPE = 'unknown';

/**
 * The plan's `_infer_result_type`: the artifact key when it is a known type,
 * else the artifact's own `result_type` (or `resultType`), else `unknown`.
 */
export function inferResultType(artifactKey: string, artifactData: unknown): string {
  if (KNOWN_RESULT_TYPES.has(artifactKey)) return artifactKey;
  if (artifactData !== null && typeof artifactData === 'object' && !Array.isArray(artifactData)) {
    const own = (artifactData as Record<string, unknown>).result_type ?? (artifactData as Record<string, unknown>).resultType;
    if (typeof own === 'string' && own.length > 0) return own;
  }
  return UNKNOWN_RESULT_TYPE;
}

import { InvalidRealmResultError } from '../errors/index.ts';
import { jsonProblem } from '../intent/intent.ts';
import { encodeRendering, type EncodedRendering } from './rendering.ts';
import { inferResultType } from './result-types.ts';

/** One artifact of a realm result, in the runtime's single internal shape. */
export interface NormalizedArtifact {
  /** The key the realm used in `artifacts`. */
  readonly key: string;
  readonly resultType: string;
  /** Platform memory: kept with the execution whatever the decision. */
  readonly semanticPayload: Record<string, unknown> | null;
  /** Client memory: what the materialization decision governs. */
  readonly renderings: readonly EncodedRendering[];
  /** Sum of the renderings' byte lengths. */
  readonly sizeBytes: number;
  /** Labels from the realm (e.g. `pii`), for governance rules. */
  readonly tags: readonly string[];
  readonly shape: 'legacy' | 'structured';
}

export interface NormalizedEvent {
  readonly eventType: string;
  readonly data: unknown;
}

export interface NormalizedResult {
  readonly artifacts: readonly NormalizedArtifact[];
  readonly events: readonly NormalizedEvent[];
}

const STRUCTURED_KEYS = new Set([
  'resultType', 'result_type', 'semanticPayload', 'semantic_payload', 'renderings', 'tags',
]);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);

/**
 * Accepts the legacy `{ artifacts: { key: data }, events }` and the structured
 * `{ artifacts: { key: { resultType, semanticPayload, renderings } }, events }`
 * (camelCase or snake_case) and returns one shape. An artifact is structured
 * when it is an object with a `renderings` object. Throws
 * InvalidRealmResultError naming the artifact and field when the result is
 * malformed.
 */
export function normalizeResult(result: unknown): NormalizedResult {
  if (result === undefined || result === null) return { artifacts: [], events: [] };
  if (!isPlainObject(result)) {
    throw new InvalidRealmResultError('realm result must be an object { artifacts, events }');
  }
  for (const key of Object.keys(result)) {
    if (key !== 'artifacts' && key !== 'events') {
      throw new InvalidRealmResultError(`realm result has unknown field '${key}' (expected 'artifacts' and 'events')`);
    }
  }
  const rawArtifacts = result.artifacts ?? {};
  if (!isPlainObject(rawArtifacts)) throw new InvalidRealmResultError("realm result field 'artifacts' must be an object");
  const artifacts = Object.entries(rawArtifacts).map(([key, data]) => normalizeArtifact(key, data));
  const rawEvents = result.events ?? [];
  if (!Array.isArray(rawEvents)) throw new InvalidRealmResultError("realm result field 'events' must be an array");
  const events = rawEvents.map((event, i) => normalizeEvent(event, i));
  return { artifacts, events };
}

function normalizeArtifact(key: string, data: unknown): NormalizedArtifact {
  const resultType = inferResultType(key, data);
  if (isPlainObject(data) && isPlainObject(data.renderings)) {
    for (const field of Object.keys(data)) {
      if (!STRUCTURED_KEYS.has(field)) {
        throw new InvalidRealmResultError(
          `artifact '${key}' has unknown field '${field}' (a structured artifact has resultType, semanticPayload, renderings, tags)`,
        );
      }
    }
    const semantic = data.semanticPayload ?? data.semantic_payload ?? null;
    if (semantic !== null && !isPlainObject(semantic)) {
      throw new InvalidRealmResultError(`artifact '${key}': semanticPayload must be an object`);
    }
    const renderings = Object.entries(data.renderings).map(([name, value]) => encode(key, name, value));
    return build(key, resultType, semantic, renderings, readTags(key, data.tags), 'structured');
  }
  // Legacy: the whole artifact but its semantic payload is one rendering named after the key.
  let semantic: Record<string, unknown> | null = null;
  let renderingValue: unknown = data;
  if (isPlainObject(data)) {
    const { semantic_payload, semanticPayload, ...rest } = data;
    const s = semantic_payload ?? semanticPayload ?? null;
    if (s !== null && !isPlainObject(s)) throw new InvalidRealmResultError(`artifact '${key}': semantic_payload must be an object`);
    semantic = s;
    renderingValue = rest;
  }
  const renderings = data === undefined || data === null ? [] : [encode(key, key, renderingValue)];
  return build(key, resultType, semantic, renderings, [], 'legacy');
}

function build(
  key: string,
  resultType: string,
  semanticPayload: Record<string, unknown> | null,
  renderings: EncodedRendering[],
  tags: string[],
  shape: NormalizedArtifact['shape'],
): NormalizedArtifact {
  let sizeBytes = 0;
  for (const r of renderings) sizeBytes += r.bytes.byteLength;
  if (semanticPayload !== null) assertJson(key, 'semanticPayload', semanticPayload);
  return { key, resultType, semanticPayload, renderings, sizeBytes, tags, shape };
}

function encode(key: string, name: string, value: unknown): EncodedRendering {
  try {
    return encodeRendering(name, value);
  } catch (err) {
    throw new InvalidRealmResultError(`artifact '${key}', rendering '${name}': ${(err as Error).message}`);
  }
}

function assertJson(key: string, field: string, value: unknown): void {
  const problem = jsonProblem(value);
  if (problem) throw new InvalidRealmResultError(`artifact '${key}': ${field} ${problem}`);
}

function readTags(key: string, tags: unknown): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw new InvalidRealmResultError(`artifact '${key}': tags must be an array of strings`);
  }
  return tags;
}

function normalizeEvent(event: unknown, index: number): NormalizedEvent {
  if (!isPlainObject(event)) throw new InvalidRealmResultError(`event #${index} must be an object { type, data }`);
  const type = event.type ?? event.eventType ?? event.event_type;
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidRealmResultError(`event #${index} needs a non-empty string 'type'`);
  }
  const data = event.data ?? event.payload ?? null;
  const problem = jsonProblem(data);
  if (problem) throw new InvalidRealmResultError(`event #${index} ('${type}'): data ${problem}`);
  return { eventType: type, data };
}

import { InvalidRealmResultError } from '../errors/index.ts';
import { encodeRendering, type EncodedRendering } from './rendering.ts';
import { assertName } from './rendering-name.ts';
import { inferResultType } from './result-types.ts';
import { assertStorableJson, assertStorableText, named } from './storable.ts';

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

/** A plain object (prototype Object.prototype or null): not an array, Map, ArrayBuffer, class instance… */
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype || proto === null;
};

const invalid = (message: string) => new InvalidRealmResultError(message);

/**
 * Accepts the legacy `{ artifacts: { key: data }, events }` and the structured
 * `{ artifacts: { key: { resultType, semanticPayload, renderings } }, events }`
 * (camelCase or snake_case) and returns one shape. An artifact is structured
 * when it is an object with a `renderings` object.
 *
 * This is where realm output is checked once, whole: whatever it returns is
 * returned here exactly as it will be stored, or refused. Artifact keys and
 * rendering names follow the naming rule (`rendering-name.ts`); result
 * types, tags and event types are storable text; semantic payloads and event
 * data are plain, storable JSON; renderings are exact bytes (`rendering.ts`).
 * Throws InvalidRealmResultError naming the artifact and field (unstorable
 * characters escaped, see `storable.ts`) when the result is malformed.
 */
export function normalizeResult(result: unknown): NormalizedResult {
  if (result === undefined || result === null) return { artifacts: [], events: [] };
  if (!isPlainObject(result)) {
    throw new InvalidRealmResultError('realm result must be an object { artifacts, events }');
  }
  for (const key of Object.keys(result)) {
    if (key !== 'artifacts' && key !== 'events') {
      throw new InvalidRealmResultError(`realm result has unknown field ${named(key)} (expected 'artifacts' and 'events')`);
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
  assertName(key, 'artifact key', invalid);
  const where = `artifact ${named(key)}`;
  const resultType = inferResultType(key, data);
  assertStorableText(resultType, `${where}: resultType`, invalid);
  if (isPlainObject(data) && isPlainObject(data.renderings)) {
    for (const field of Object.keys(data)) {
      if (!STRUCTURED_KEYS.has(field)) {
        throw new InvalidRealmResultError(
          `${where} has unknown field ${named(field)} (a structured artifact has resultType, semanticPayload, renderings, tags)`,
        );
      }
    }
    const semantic = data.semanticPayload ?? data.semantic_payload ?? null;
    if (semantic !== null && !isPlainObject(semantic)) {
      throw new InvalidRealmResultError(`${where}: semanticPayload must be an object`);
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
    if (s !== null && !isPlainObject(s)) throw new InvalidRealmResultError(`${where}: semantic_payload must be an object`);
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
  if (semanticPayload !== null) assertStorableJson(semanticPayload, `artifact ${named(key)}: semanticPayload`, invalid);
  return { key, resultType, semanticPayload, renderings, sizeBytes, tags, shape };
}

function encode(key: string, name: string, value: unknown): EncodedRendering {
  const where = `artifact ${named(key)}, rendering ${named(name)}`;
  assertName(name, `artifact ${named(key)}: rendering name`, invalid);
  try {
    return encodeRendering(name, value);
  } catch (err) {
    throw new InvalidRealmResultError(`${where}: ${(err as Error).message}`);
  }
}

function readTags(key: string, tags: unknown): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw new InvalidRealmResultError(`artifact ${named(key)}: tags must be an array of strings`);
  }
  tags.forEach((t, i) => assertStorableText(t, `artifact ${named(key)}: tags[${i}]`, invalid));
  return tags;
}

function normalizeEvent(event: unknown, index: number): NormalizedEvent {
  if (!isPlainObject(event)) throw new InvalidRealmResultError(`event #${index} must be an object { type, data }`);
  const type = event.type ?? event.eventType ?? event.event_type;
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidRealmResultError(`event #${index} needs a non-empty string 'type'`);
  }
  assertStorableText(type, `event #${index}: type`, invalid);
  const data = event.data ?? event.payload ?? null;
  assertStorableJson(data, `event #${index} (${named(type)}): data`, invalid);
  return { eventType: type, data };
}

/**
 * The checkpoint saver's arguments, checked at its boundary: each refusal is
 * an InvalidRequestError (SYM_ERR_INVALID_REQUEST) whose issue path names the
 * argument or field (`checkpoint.id`, `config.configurable.checkpoint_ns`,
 * `writes[2][0]`, `options.limit`), so nothing malformed reaches the store as
 * a database error or a TypeError. The rules follow what LangGraph passes
 * (`BaseCheckpointSaver`'s signatures and the official saver suite): optional
 * fields may be absent or null, `checkpoint_ns` defaults to `''`, and an empty
 * `checkpoint_id` means none (as `getCheckpointId` reads it).
 */
import { checkKeyText, describeValue, MAX_NAMESPACE_BYTES, MAX_TASK_PATH_BYTES } from '../checkpoints/checkpoint-keys.ts';
import { checkThreadId } from '../checkpoints/checkpoint-governance.ts';
import { InvalidRequestError } from '../errors/index.ts';

export const PUT = 'cannot store a checkpoint';
export const PUT_WRITES = 'cannot store writes';
export const READ = 'cannot read checkpoints';

/** Throws the saver's refusal: `doing: field problem`, with `field` as the path. */
export function refuse(doing: string, field: string, problem: string): never {
  throw new InvalidRequestError(`${doing}: ${field} ${problem}`, [{ path: field, message: problem }]);
}

/** `base.key`, or `base["key"]` when the key is not an identifier (quoted as JSON, so NUL shows as `\u0000`). */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A plain object (an object literal or `Object.create(null)`), not an array, Map or class instance. */
function isRecord(v: unknown): v is Record<string, unknown> {
  if (!isObject(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

/** The run config's `configurable` (`{}` when absent). @throws naming `config` or `config.configurable`. */
export function configurableOf(config: unknown, doing: string): Record<string, unknown> {
  if (!isObject(config)) refuse(doing, 'config', `must be a run config ({ configurable: { thread_id, … } }), got ${describeValue(config)}`);
  const configurable = config.configurable;
  if (absent(configurable)) return {};
  if (!isObject(configurable)) refuse(doing, 'config.configurable', `must be an object, got ${describeValue(configurable)}`);
  return configurable;
}

/** `configurable.thread_id`: undefined when absent and not required. @throws naming `config.configurable.thread_id`. */
export function threadIdOf(configurable: Record<string, unknown>, doing: string, required: boolean): string | undefined {
  const threadId = configurable.thread_id;
  if (absent(threadId)) {
    if (!required) return undefined;
    refuse(doing, 'config.configurable.thread_id', "is missing (pass { configurable: { thread_id: '…' } } when invoking the graph)");
  }
  checkThreadId(threadId, 'config.configurable.thread_id');
  return threadId;
}

/** `configurable.checkpoint_ns`: undefined when absent or null. @throws naming `config.configurable.checkpoint_ns`. */
export function namespaceOf(configurable: Record<string, unknown>, doing: string): string | undefined {
  const ns = configurable.checkpoint_ns;
  if (absent(ns)) return undefined;
  checkKeyText(ns, 'config.configurable.checkpoint_ns', doing, { allowEmpty: true, maxBytes: MAX_NAMESPACE_BYTES });
  return ns;
}

/**
 * The checkpoint id a config names, as `getCheckpointId` reads it:
 * `checkpoint_id`, else (`legacy`) the older `thread_ts`; absent, null or
 * `''` is none. @throws naming `<base>.checkpoint_id` (or `.thread_ts`).
 */
export function checkpointIdOf(configurable: Record<string, unknown>, doing: string, base = 'config.configurable', legacy = true): string | undefined {
  for (const key of legacy ? (['checkpoint_id', 'thread_ts'] as const) : (['checkpoint_id'] as const)) {
    const id = configurable[key];
    if (absent(id) || id === '') continue;
    checkKeyText(id, `${base}.${key}`, doing);
    return id;
  }
  return undefined;
}

/** A channel version: a string, or a number written the same way by JSON and by PostgreSQL (no exponent). */
function checkVersion(version: unknown, field: string, doing: string): void {
  if (typeof version === 'string') return checkKeyText(version, field, doing);
  if (typeof version === 'number' && Number.isFinite(version) && !/e/i.test(String(version))) return;
  refuse(doing, field, `must be a channel version (a string, or a number such as 3), got ${describeValue(version)}`);
}

/** Channel name → version. @throws naming `field` or the channel within it. */
export function checkVersions(versions: unknown, field: string, doing: string): asserts versions is Record<string, string | number> {
  if (!isRecord(versions)) refuse(doing, field, `must be an object of channel versions ({ channel: version }), got ${describeValue(versions)}`);
  for (const [channel, version] of Object.entries(versions)) {
    const at = fieldPath(field, channel);
    checkKeyText(channel, at, doing, { allowEmpty: true });
    checkVersion(version, at, doing);
  }
}

/** A checkpoint as `put` takes it. @throws naming `checkpoint` or its field. */
export function checkCheckpoint(checkpoint: unknown, doing: string): void {
  if (!isRecord(checkpoint)) {
    refuse(doing, 'checkpoint', `must be a checkpoint object ({ v, id, ts, channel_values, channel_versions, versions_seen }), got ${describeValue(checkpoint)}`);
  }
  checkKeyText(checkpoint.id, 'checkpoint.id', doing);
  if (checkpoint.v !== undefined && !(typeof checkpoint.v === 'number' && Number.isFinite(checkpoint.v))) {
    refuse(doing, 'checkpoint.v', `must be a number (the checkpoint format), got ${describeValue(checkpoint.v)}`);
  }
  if (checkpoint.ts !== undefined && typeof checkpoint.ts !== 'string') {
    refuse(doing, 'checkpoint.ts', `must be a string (an ISO 8601 time), got ${describeValue(checkpoint.ts)}`);
  }
  for (const key of ['channel_values', 'versions_seen'] as const) {
    const value = checkpoint[key];
    if (!absent(value) && !isRecord(value)) refuse(doing, `checkpoint.${key}`, `must be an object, got ${describeValue(value)}`);
  }
  if (!absent(checkpoint.channel_versions)) checkVersions(checkpoint.channel_versions, 'checkpoint.channel_versions', doing);
}

/** Checkpoint metadata: a plain object. @throws naming `metadata`. */
export function checkMetadata(metadata: unknown, doing: string): void {
  if (!isRecord(metadata)) refuse(doing, 'metadata', `must be an object ({ source, step, parents, … }), got ${describeValue(metadata)}`);
}

/** Pending writes: `[channel, value]` pairs. @throws naming `writes`, `writes[i]` or `writes[i][0]`. */
export function checkWrites(writes: unknown, doing: string): asserts writes is [string, unknown][] {
  if (!Array.isArray(writes)) refuse(doing, 'writes', `must be an array of [channel, value] pairs, got ${describeValue(writes)}`);
  writes.forEach((write: unknown, i) => {
    if (!Array.isArray(write) || write.length !== 2) refuse(doing, `writes[${i}]`, `must be a [channel, value] pair, got ${describeValue(write)}`);
    checkKeyText(write[0], `writes[${i}][0]`, doing, { allowEmpty: true });
  });
}

/** `putWrites`' task id (required) and task path (`''` when absent). @throws naming `taskId` or `taskPath`. */
export function taskOf(taskId: unknown, taskPath: unknown, doing: string): { taskId: string; taskPath: string } {
  checkKeyText(taskId, 'taskId', doing);
  if (absent(taskPath)) return { taskId, taskPath: '' };
  checkKeyText(taskPath, 'taskPath', doing, { allowEmpty: true, maxBytes: MAX_TASK_PATH_BYTES });
  return { taskId, taskPath };
}

/** `getDeltaChannelHistory`'s options: a run config and channel names. @throws naming `options`, `options.config` or `options.channels[i]`. */
export function checkDeltaHistoryOptions(options: unknown): asserts options is { config: Record<string, unknown>; channels: string[] } {
  if (!isObject(options)) refuse(READ, 'options', `must be { config, channels }, got ${describeValue(options)}`);
  if (!isObject(options.config)) refuse(READ, 'options.config', `must be a run config ({ configurable: { thread_id, … } }), got ${describeValue(options.config)}`);
  if (!Array.isArray(options.channels)) refuse(READ, 'options.channels', `must be an array of channel names, got ${describeValue(options.channels)}`);
  options.channels.forEach((channel: unknown, i) => checkKeyText(channel, `options.channels[${i}]`, READ, { allowEmpty: true }));
}

/** `list`'s options, checked. */
export interface ListOptions {
  readonly limit?: number;
  /** Only checkpoints older than this id. */
  readonly before?: string;
  /** Metadata key → value every listed checkpoint's metadata has. */
  readonly filter: readonly [string, unknown][];
}

/** @throws naming `options`, `options.limit`, `options.before(.configurable.checkpoint_id)` or `options.filter`. */
export function listOptionsOf(options: unknown): ListOptions {
  if (absent(options)) return { filter: [] };
  if (!isObject(options)) refuse(READ, 'options', `must be an object ({ limit, before, filter }), got ${describeValue(options)}`);
  const { limit, before, filter } = options;
  if (!absent(limit) && !(typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 0)) {
    refuse(READ, 'options.limit', `must be a whole number ≥ 0 (leave it out for no limit), got ${describeValue(limit)}`);
  }
  let beforeId: string | undefined;
  if (!absent(before)) {
    if (!isObject(before)) refuse(READ, 'options.before', `must be a run config ({ configurable: { checkpoint_id } }), got ${describeValue(before)}`);
    const configurable = before.configurable;
    if (!absent(configurable) && !isObject(configurable)) refuse(READ, 'options.before.configurable', `must be an object, got ${describeValue(configurable)}`);
    beforeId = absent(configurable) ? undefined : checkpointIdOf(configurable, READ, 'options.before.configurable');
  }
  if (!absent(filter) && !isRecord(filter)) refuse(READ, 'options.filter', `must be an object of metadata values ({ source: 'loop' }), got ${describeValue(filter)}`);
  return {
    ...(absent(limit) ? {} : { limit: limit as number }),
    ...(beforeId === undefined ? {} : { before: beforeId }),
    filter: absent(filter) ? [] : Object.entries(filter),
  };
}

import { isDeepStrictEqual } from 'node:util';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  copyCheckpoint,
  maxChannelVersion,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { TenantCheckpoints } from '../checkpoints/checkpoint-governance.ts';
import type { StoredCheckpoint } from '../checkpoints/checkpoint-store.ts';
import type { TypedContent } from '../checkpoints/checkpoint-content.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { dumpContent, loadContent } from './saver-content.ts';
import {
  PUT, PUT_WRITES, READ,
  checkCheckpoint, checkDeltaHistoryOptions, checkMetadata, checkVersions, checkWrites, checkpointIdOf, configurableOf, fieldPath, listOptionsOf, namespaceOf, refuse, taskOf, threadIdOf,
} from './saver-input.ts';

/** LangGraph's run config, as the saver's methods take it (from `@langchain/core`, without depending on it). */
export type RunnableConfig = Parameters<BaseCheckpointSaver['getTuple']>[0];

/** The part of a runtime the saver needs: `runtime.checkpoints(tenantId)`. */
export interface CheckpointRuntime {
  checkpoints(tenantId: string): TenantCheckpoints;
}

export interface SymphainyCheckpointSaverOptions {
  /** The tenant every thread of this saver belongs to. Required. */
  readonly tenantId: string;
  /** How checkpoint values become bytes. @default LangGraph's JsonPlusSerializer */
  readonly serde?: SerializerProtocol;
}

/** Checkpoints read per query while listing. */
const PAGE = 100;

/**
 * A LangGraph checkpoint saver that keeps checkpoints and pending writes in
 * the runtime's store (embedded PGlite or PostgreSQL), bound to one tenant:
 * thread ids are the tenant's own, and another tenant's saver never sees
 * them. Every checkpoint is decided by the runtime's materialization policy
 * under result type `checkpoint` — persist (with retention, or only the
 * latest N per thread with `keep_latest`), cache (with a TTL) or discard —
 * and the decision is a `governance_decision` WAL record
 * (`runtime.checkpoints(tenantId).explain(threadId, checkpointId)` shows
 * every layer's verdict).
 *
 * Values go through `serde` (LangGraph's JsonPlusSerializer by default) as in
 * LangGraph's own savers: a function or Symbol reads back as nothing, as
 * MemorySaver reads it; a value the serializer would replace (a bigint, a
 * cycle) is refused (saver-content.ts).
 *
 * @example
 * ```ts
 * const saver = new SymphainyCheckpointSaver(runtime, { tenantId: 'acme' });
 * const graph = builder.compile({ checkpointer: saver });
 * await graph.invoke(input, { configurable: { thread_id: 'conversation-1' } });
 * ```
 *
 * @throws InvalidRequestError (SYM_ERR_INVALID_REQUEST) from the constructor
 *   naming `runtime`, `tenantId` or `options.serde`, and from each method
 *   naming the argument or field that is missing or malformed
 *   (`config.configurable.thread_id`, `checkpoint.id`, `writes[2][0]`,
 *   `options.limit`, the path to a value that cannot be stored…); nothing of
 *   a refused call is stored. RuntimeClosedError (SYM_ERR_RUNTIME_CLOSED)
 *   once the runtime is closed.
 */
export class SymphainyCheckpointSaver extends BaseCheckpointSaver {
  readonly tenantId: string;
  readonly #runtime: CheckpointRuntime;

  constructor(runtime: CheckpointRuntime, options: SymphainyCheckpointSaverOptions) {
    super(checkedOptions(runtime, options).serde);
    runtime.checkpoints(options.tenantId); // refuses an invalid tenant id (and a closed runtime) now
    this.#runtime = runtime;
    this.tenantId = options.tenantId;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const configurable = configurableOf(config, READ);
    const threadId = threadIdOf(configurable, READ, false);
    const checkpointNs = namespaceOf(configurable, READ) ?? '';
    const checkpointId = checkpointIdOf(configurable, READ);
    // LangGraph asks without a thread before a run has one: there is nothing to return.
    if (threadId === undefined) return undefined;
    const stored = await this.#use((c) => c.get(threadId, checkpointNs, checkpointId));
    return stored && this.#tuple(stored);
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const configurable = configurableOf(config, READ);
    const threadId = threadIdOf(configurable, READ, false);
    const checkpointNs = namespaceOf(configurable, READ);
    const checkpointId = checkpointIdOf(configurable, READ);
    const { limit, before, filter } = listOptionsOf(options);
    const selection = {
      ...(threadId === undefined ? {} : { threadId }),
      ...(checkpointNs === undefined ? {} : { checkpointNs }),
      ...(checkpointId === undefined ? {} : { checkpointId }),
      ...(before === undefined ? {} : { before }),
    };
    let remaining = limit ?? Infinity;
    let after: StoredCheckpoint | undefined;
    while (remaining > 0) {
      const page = await this.#use((c) => c.list(selection, PAGE, after));
      for (const stored of page) {
        const tuple = await this.#tuple(stored);
        const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
        const matches = filter.every(([key, value]) => isDeepStrictEqual(Object.hasOwn(metadata, key) ? metadata[key] : undefined, value));
        if (!matches) continue;
        yield tuple;
        if (--remaining <= 0) return;
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1];
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const configurable = configurableOf(config, PUT);
    const threadId = threadIdOf(configurable, PUT, true)!;
    const checkpointNs = namespaceOf(configurable, PUT) ?? '';
    // The config names the checkpoint this one follows, as MemorySaver reads it.
    const parentCheckpointId = checkpointIdOf(configurable, PUT, 'config.configurable', false) ?? null;
    checkCheckpoint(checkpoint, PUT);
    checkMetadata(metadata, PUT);
    checkVersions(newVersions, 'newVersions', PUT);
    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    const [checkpointBytes, metadataBytes] = await Promise.all([this.#dumpWhole(rest, 'checkpoint'), this.#dumpWhole(metadata, 'metadata')]);
    const blobs = await Promise.all(
      Object.entries(newVersions).map(async ([channel, version]) => ({
        channel,
        version: String(version),
        // Absent, undefined, or nothing once serialized (a function): the channel is empty at this version.
        value: Object.hasOwn(values, channel) && values[channel] !== undefined
          ? await dumpContent(this.serde, values[channel], fieldPath('checkpoint.channel_values', channel), PUT)
          : null,
      })),
    );
    await this.#use((c) => c.put({
      threadId, checkpointNs, checkpointId: checkpoint.id, parentCheckpointId,
      channelVersions: checkpoint.channel_versions ?? {},
      checkpoint: checkpointBytes,
      metadata: metadataBytes,
      blobs,
      subjectValues: subjectValuesOf(metadata as Record<string, unknown>, configurable),
      sizeBytes: checkpointBytes.bytes.length + metadataBytes.bytes.length + blobs.reduce((n, b) => n + (b.value?.bytes.length ?? 0), 0),
    }));
    return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const configurable = configurableOf(config, PUT_WRITES);
    const threadId = threadIdOf(configurable, PUT_WRITES, true)!;
    const checkpointNs = namespaceOf(configurable, PUT_WRITES) ?? '';
    const checkpointId = checkpointIdOf(configurable, PUT_WRITES, 'config.configurable', false)
      ?? refuse(PUT_WRITES, 'config.configurable.checkpoint_id', 'is missing (writes belong to a checkpoint)');
    checkWrites(writes, PUT_WRITES);
    const task = taskOf(taskId, taskPath, PUT_WRITES);
    // Special channels (errors, interrupts, resumes) have fixed indexes and replace; regular writes keep the first.
    const replace = writes.every(([channel]) => Object.hasOwn(WRITES_IDX_MAP, channel));
    const stored = await Promise.all(writes.map(async ([channel, value], i) => {
      const field = `writes[${i}][1]`;
      // A value that serializes to nothing (a function) is written as undefined, which reads back.
      const content = (await dumpContent(this.serde, value, field, PUT_WRITES)) ?? (await this.#dumpWhole(undefined, field, PUT_WRITES));
      return { ...task, idx: Object.hasOwn(WRITES_IDX_MAP, channel) ? WRITES_IDX_MAP[channel]! : i, channel, value: content };
    }));
    await this.#use((c) => c.putWrites({ threadId, checkpointNs, checkpointId }, stored, replace, subjectValuesOf(configurable)));
  }

  /** LangGraph's walk for delta channels (beta), over {@link getTuple}, with its options checked first. */
  override async getDeltaChannelHistory(options: Parameters<BaseCheckpointSaver['getDeltaChannelHistory']>[0]): ReturnType<BaseCheckpointSaver['getDeltaChannelHistory']> {
    checkDeltaHistoryOptions(options);
    return super.getDeltaChannelHistory(options);
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.#use((c) => c.deleteThread(threadId));
  }

  /**
   * Runs `work` on the tenant's checkpoints, asked of the runtime on each
   * call so that a closed runtime refuses it (RuntimeClosedError); a call
   * that fails because the runtime closed meanwhile reports that too.
   */
  async #use<T>(work: (checkpoints: TenantCheckpoints) => Promise<T>): Promise<T> {
    const checkpoints = this.#runtime.checkpoints(this.tenantId);
    try {
      return await work(checkpoints);
    } catch (err) {
      this.#runtime.checkpoints(this.tenantId); // throws RuntimeClosedError once closed
      throw err;
    }
  }

  async #tuple(stored: StoredCheckpoint): Promise<CheckpointTuple> {
    const rest = (await this.#load(stored.checkpoint)) as Omit<Checkpoint, 'channel_values'>;
    // Own properties even for channels named like Object.prototype members (`__proto__`, `constructor`).
    const channelValues: Record<string, unknown> = Object.fromEntries(
      (await Promise.all(stored.channelValues.map(async ({ channel, value }) => [channel, await this.#load(value)] as const)))
        .filter(([, value]) => value !== undefined),
    );
    const checkpoint: Checkpoint = { ...rest, channel_values: channelValues };
    const { threadId, checkpointNs, parentCheckpointId } = stored;
    if (checkpoint.v < 4 && parentCheckpointId !== null) await this.#migratePendingSends(checkpoint, stored);
    const ordered = [...stored.pendingWrites].sort((a, b) =>
      compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: stored.checkpointId } },
      checkpoint,
      metadata: (await this.#load(stored.metadata)) as CheckpointMetadata,
      pendingWrites: await Promise.all(ordered.map(async (w) => [w.taskId, w.channel, await this.#load(w.value)] as [string, string, unknown])),
    };
    if (parentCheckpointId !== null) {
      tuple.parentConfig = { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: parentCheckpointId } };
    }
    return tuple;
  }

  /** Checkpoints before format 4 kept pending sends as the parent's TASKS writes: move them into the channel. */
  async #migratePendingSends(checkpoint: Checkpoint, stored: StoredCheckpoint): Promise<void> {
    const sends = await this.#use((c) => c.store.writesOn(
      { threadId: stored.threadId, checkpointNs: stored.checkpointNs, checkpointId: stored.parentCheckpointId! }, TASKS));
    sends.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
    checkpoint.channel_values[TASKS] = await Promise.all(sends.map((w) => this.#load(w.value)));
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  /** A value that must serialize to something (the checkpoint, its metadata, a write). */
  async #dumpWhole(value: unknown, field: string, doing = PUT): Promise<TypedContent> {
    const content = await dumpContent(this.serde, value, field, doing);
    if (content === null) refuse(doing, field, 'serializes to nothing (options.serde wrote no bytes for it)');
    return content;
  }

  #load(content: TypedContent): Promise<unknown> {
    return loadContent(this.serde, content);
  }
}

/** The constructor's arguments, checked before anything else runs. */
function checkedOptions(runtime: unknown, options: unknown): SymphainyCheckpointSaverOptions {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(runtime) || typeof runtime.checkpoints !== 'function') {
    throw new InvalidRequestError('SymphainyCheckpointSaver needs the runtime (from createRuntime) as its first argument', [
      { path: 'runtime', message: 'must be a runtime (an object with checkpoints(tenantId))' },
    ]);
  }
  if (!isObject(options)) {
    throw new InvalidRequestError('SymphainyCheckpointSaver needs options with a tenantId', [{ path: 'tenantId', message: 'is required' }]);
  }
  const serde = options.serde;
  if (serde !== undefined && !(isObject(serde) && typeof serde.dumpsTyped === 'function' && typeof serde.loadsTyped === 'function')) {
    throw new InvalidRequestError('SymphainyCheckpointSaver: options.serde must be a serializer with dumpsTyped and loadsTyped (or left out for JsonPlusSerializer)', [
      { path: 'options.serde', message: 'must have dumpsTyped(value) and loadsTyped(type, bytes)' },
    ]);
  }
  return options as unknown as SymphainyCheckpointSaverOptions;
}

/** Top-level string and number values of the metadata and config as `key=value` pairs, so an erasure by subject finds the thread. */
function subjectValuesOf(...sources: Record<string, unknown>[]): [string, string][] {
  const pairs = new Map<string, [string, string]>();
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (key.startsWith('__') || key === 'checkpoint_id' || key === 'checkpoint_ns') continue;
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) pairs.set(`${key}=${value}`, [key, String(value)]);
    }
  }
  return [...pairs.values()];
}

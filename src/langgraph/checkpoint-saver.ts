import { isDeepStrictEqual } from 'node:util';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
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
import { checkThreadId, type TenantCheckpoints } from '../checkpoints/checkpoint-governance.ts';
import type { StoredCheckpoint } from '../checkpoints/checkpoint-store.ts';
import type { TypedContent } from '../checkpoints/checkpoint-content.ts';
import { InvalidRequestError } from '../errors/index.ts';

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
 * @example
 * ```ts
 * const saver = new SymphainyCheckpointSaver(runtime, { tenantId: 'acme' });
 * const graph = builder.compile({ checkpointer: saver });
 * await graph.invoke(input, { configurable: { thread_id: 'conversation-1' } });
 * ```
 *
 * @throws InvalidRequestError (SYM_ERR_INVALID_REQUEST) naming `tenantId`
 *   when it is missing or invalid; each method names
 *   `config.configurable.thread_id` (or `checkpoint_id`) when it is missing
 *   where it is required.
 */
export class SymphainyCheckpointSaver extends BaseCheckpointSaver {
  readonly tenantId: string;
  readonly #checkpoints: TenantCheckpoints;

  constructor(runtime: CheckpointRuntime, options: SymphainyCheckpointSaverOptions) {
    super(options?.serde);
    if (options === null || typeof options !== 'object') {
      throw new InvalidRequestError('SymphainyCheckpointSaver needs options with a tenantId', [{ path: 'tenantId', message: 'is required' }]);
    }
    this.#checkpoints = runtime.checkpoints(options.tenantId);
    this.tenantId = options.tenantId;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id;
    // LangGraph asks without a thread before a run has one: there is nothing to return.
    if (threadId === undefined) return undefined;
    checkThreadId(threadId, 'config.configurable.thread_id');
    const stored = await this.#checkpoints.get(threadId, namespaceOf(config), getCheckpointId(config) || undefined);
    return stored && this.#tuple(stored);
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const threadId = config.configurable?.thread_id;
    if (threadId !== undefined) checkThreadId(threadId, 'config.configurable.thread_id');
    const checkpointNs = config.configurable?.checkpoint_ns;
    const selection = {
      ...(threadId === undefined ? {} : { threadId: threadId as string }),
      ...(checkpointNs === undefined ? {} : { checkpointNs: String(checkpointNs) }),
      ...(getCheckpointId(config) ? { checkpointId: getCheckpointId(config) } : {}),
      ...(options?.before?.configurable?.checkpoint_id ? { before: String(options.before.configurable.checkpoint_id) } : {}),
    };
    const filter = Object.entries(options?.filter ?? {});
    let remaining = options?.limit ?? Infinity;
    let after: StoredCheckpoint | undefined;
    while (remaining > 0) {
      const page = await this.#checkpoints.list(selection, PAGE, after);
      for (const stored of page) {
        const tuple = await this.#tuple(stored);
        const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
        if (!filter.every(([key, value]) => isDeepStrictEqual(metadata[key], value))) continue;
        yield tuple;
        if (--remaining <= 0) return;
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1];
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const threadId = requireThreadId(config, 'store a checkpoint');
    const checkpointNs = namespaceOf(config);
    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    const [checkpointBytes, metadataBytes] = await Promise.all([this.#dump(rest), this.#dump(metadata)]);
    const blobs = await Promise.all(
      Object.entries(newVersions).map(async ([channel, version]) => ({
        channel,
        version: String(version),
        value: channel in values && values[channel] !== undefined ? await this.#dump(values[channel]) : null,
      })),
    );
    await this.#checkpoints.put({
      threadId, checkpointNs, checkpointId: checkpoint.id,
      parentCheckpointId: (config.configurable?.checkpoint_id as string | undefined) ?? null,
      channelVersions: checkpoint.channel_versions,
      checkpoint: checkpointBytes,
      metadata: metadataBytes,
      blobs,
      subjectValues: subjectValuesOf(metadata as Record<string, unknown>, config.configurable ?? {}),
      sizeBytes: checkpointBytes.bytes.length + metadataBytes.bytes.length + blobs.reduce((n, b) => n + (b.value?.bytes.length ?? 0), 0),
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = requireThreadId(config, 'store writes');
    const checkpointId = config.configurable?.checkpoint_id;
    if (typeof checkpointId !== 'string' || checkpointId === '') {
      throw new InvalidRequestError('cannot store writes: config.configurable.checkpoint_id is missing (writes belong to a checkpoint)', [
        { path: 'config.configurable.checkpoint_id', message: 'is required' },
      ]);
    }
    // Special channels (errors, interrupts, resumes) have fixed indexes and replace; regular writes keep the first.
    const replace = writes.every(([channel]) => channel in WRITES_IDX_MAP);
    const stored = await Promise.all(writes.map(async ([channel, value], i) => ({
      taskId, idx: WRITES_IDX_MAP[channel] ?? i, channel, taskPath: taskPath ?? '', value: await this.#dump(value),
    })));
    await this.#checkpoints.putWrites({ threadId, checkpointNs: namespaceOf(config), checkpointId }, stored, replace, subjectValuesOf(config.configurable ?? {}));
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.#checkpoints.deleteThread(threadId);
  }

  async #tuple(stored: StoredCheckpoint): Promise<CheckpointTuple> {
    const rest = (await this.#load(stored.checkpoint)) as Omit<Checkpoint, 'channel_values'>;
    const channelValues: Record<string, unknown> = {};
    for (const { channel, value } of stored.channelValues) channelValues[channel] = await this.#load(value);
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
    const sends = await this.#checkpoints.store.writesOn(
      { threadId: stored.threadId, checkpointNs: stored.checkpointNs, checkpointId: stored.parentCheckpointId! }, TASKS);
    sends.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
    checkpoint.channel_values[TASKS] = await Promise.all(sends.map((w) => this.#load(w.value)));
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  async #dump(value: unknown): Promise<TypedContent> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return { type, bytes };
  }

  #load(content: TypedContent): Promise<unknown> {
    return this.serde.loadsTyped(content.type, content.bytes);
  }
}

function namespaceOf(config: RunnableConfig): string {
  const ns = config.configurable?.checkpoint_ns;
  return ns === undefined || ns === null ? '' : String(ns);
}

function requireThreadId(config: RunnableConfig, doing: string): string {
  const threadId = config?.configurable?.thread_id;
  if (threadId === undefined) {
    throw new InvalidRequestError(
      `cannot ${doing}: config.configurable.thread_id is missing (pass { configurable: { thread_id: '…' } } when invoking the graph)`,
      [{ path: 'config.configurable.thread_id', message: 'is required' }],
    );
  }
  checkThreadId(threadId, 'config.configurable.thread_id');
  return threadId;
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

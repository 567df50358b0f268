import { InvalidUsageError } from '../errors/index.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import { jsonValueProblem, nonPlainKind, textProblem } from '../realm/storable.ts';
import type { StreamChunks } from '../store/stream-chunks.ts';

/** The result type the policy decides an execution's stream under. */
export const STREAM_RESULT_TYPE = 'stream';

/** Largest chunk `ctx.emit` takes, in bytes of its JSON text. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * Checks a chunk for `ctx.emit`: a string, or a plain JSON object.
 * @throws InvalidUsageError (SYM_ERR_INVALID_USAGE) naming what is wrong.
 */
export function checkChunk(chunk: unknown): string | Record<string, unknown> {
  if (typeof chunk === 'string') {
    const p = textProblem(chunk);
    if (p) throw new InvalidUsageError(`emit: the chunk ${p}`);
  } else if (chunk === null || typeof chunk !== 'object' || Array.isArray(chunk) || nonPlainKind(chunk)) {
    const what = chunk === null ? 'null' : Array.isArray(chunk) ? 'a list' : typeof chunk === 'object' ? nonPlainKind(chunk) : `a ${typeof chunk}`;
    throw new InvalidUsageError(`emit: a chunk must be a string or a plain JSON object, got ${what}`);
  } else {
    const p = jsonValueProblem(chunk, 'chunk');
    if (p) throw new InvalidUsageError(`emit: ${p}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(chunk));
  if (bytes > MAX_CHUNK_BYTES) throw new InvalidUsageError(`emit: the chunk is ${bytes} bytes of JSON, more than ${MAX_CHUNK_BYTES}`);
  return chunk as string | Record<string, unknown>;
}

/** How long the chunks of an ended execution stay readable before they are deleted, in ms: readers polling the store get the tail. */
export const DEFAULT_STREAM_GRACE_MS = 2000;

/**
 * General notes: an execution's partial output. `emit` stores each chunk at
 * once (readers may be on another runtime); `ended` is called when the
 * execution ended (completed, failed, or gave up its attempt) and lets the
 * policy decide what is kept: the chunks stay only when the policy
 * persists result type `stream` for this tenant, intent type and realm — by
 * default nothing of the stream outlives the execution (the artifacts are
 * what is kept). Discarded chunks are deleted `graceMs` after the end, so a
 * reader that polls the store still gets the last ones; {@link flush}
 * (at close) deletes the pending ones at once.
 */
export class ExecutionStreams {
  readonly #pending = new Map<string, { timer: NodeJS.Timeout; run: () => Promise<void> }>();

  constructor(private readonly chunks: StreamChunks, private readonly graceMs = DEFAULT_STREAM_GRACE_MS) {}

  /** Stores one chunk ({@link checkChunk}); resolves once it is readable. */
  async emit(at: { tenantId: string; executionId: string; sessionId?: string; parameters?: unknown }, chunk: unknown): Promise<void> {
    await this.chunks.append(at, checkChunk(chunk));
  }

  /** Applies the policy to the ended execution's stream: returns whether its chunks are kept (else they are deleted after the grace). */
  ended(at: { tenantId: string; executionId: string; intentType: string; realm: string }, policy: CompiledPolicy, onError?: (err: unknown) => void): boolean {
    const decision = policy.evaluate({ resultType: STREAM_RESULT_TYPE, tenantId: at.tenantId, intentType: at.intentType, realm: at.realm });
    if (decision.decision === 'persist') return true;
    clearTimeout(this.#pending.get(at.executionId)?.timer);
    const run = async () => {
      this.#pending.delete(at.executionId);
      await this.chunks.delete(at.tenantId, at.executionId).then(() => undefined, (err: unknown) => onError?.(err));
    };
    const timer = setTimeout(() => void run(), this.graceMs);
    timer.unref();
    this.#pending.set(at.executionId, { timer, run });
    return false;
  }

  /** Deletes every discarded stream still in its grace now (the runtime closes). */
  async flush(): Promise<void> {
    const pending = [...this.#pending.values()];
    for (const p of pending) clearTimeout(p.timer);
    await Promise.all(pending.map((p) => p.run()));
  }
}

/**
 * After an attempt of an execution ended: what the policy keeps of its
 * stream ({@link ExecutionStreams.ended}). A failure here is logged, not
 * thrown: the execution's outcome is already recorded.
 */
export function streamEnded(
  d: { readonly streams?: ExecutionStreams | undefined; readonly logger: { warn(obj: object, msg: string): void } },
  r: { readonly intent: { tenantId: string; intentType: string }; readonly entry: { realm: string }; readonly executionId: string; readonly policy: CompiledPolicy },
): void {
  if (!d.streams) return;
  const at = { tenantId: r.intent.tenantId, executionId: r.executionId, intentType: r.intent.intentType, realm: r.entry.realm };
  const warn = (err: unknown) => d.logger.warn({ err, executionId: r.executionId }, 'applying the policy to the stream failed');
  try {
    d.streams.ended(at, r.policy, warn);
  } catch (err) {
    warn(err);
  }
}

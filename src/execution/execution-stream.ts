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

/**
 * General notes: an execution's partial output. `emit` stores each chunk at
 * once (readers may be on another runtime); `ended` is called when the
 * execution ended (completed, failed, or gave up its attempt) and lets the
 * policy decide what is kept: the chunks stay only when the policy
 * persists result type `stream` for this tenant, intent type and realm — by
 * default nothing of the stream outlives the execution (the artifacts are
 * what is kept).
 */
export class ExecutionStreams {
  constructor(private readonly chunks: StreamChunks) {}

  /** Stores one chunk ({@link checkChunk}); resolves once it is readable. */
  async emit(at: { tenantId: string; executionId: string }, chunk: unknown): Promise<void> {
    await this.chunks.append(at.tenantId, at.executionId, checkChunk(chunk));
  }

  /** Applies the policy to the ended execution's stream: returns whether its chunks were kept. */
  async ended(at: { tenantId: string; executionId: string; intentType: string; realm: string }, policy: CompiledPolicy): Promise<boolean> {
    const decision = policy.evaluate({ resultType: STREAM_RESULT_TYPE, tenantId: at.tenantId, intentType: at.intentType, realm: at.realm });
    if (decision.decision === 'persist') return true;
    await this.chunks.delete(at.tenantId, at.executionId);
    return false;
  }
}

/**
 * After an attempt of an execution ended: what the policy keeps of its
 * stream ({@link ExecutionStreams.ended}). A failure here is logged, not
 * thrown: the execution's outcome is already recorded.
 */
export async function streamEnded(
  d: { readonly streams?: ExecutionStreams | undefined; readonly logger: { warn(obj: object, msg: string): void } },
  r: { readonly intent: { tenantId: string; intentType: string }; readonly entry: { realm: string }; readonly executionId: string; readonly policy: CompiledPolicy },
): Promise<void> {
  if (!d.streams) return;
  const at = { tenantId: r.intent.tenantId, executionId: r.executionId, intentType: r.intent.intentType, realm: r.entry.realm };
  await d.streams.ended(at, r.policy).catch((err: unknown) => d.logger.warn({ err, executionId: r.executionId }, 'applying the policy to the stream failed'));
}

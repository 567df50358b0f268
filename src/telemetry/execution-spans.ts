import {
  context as otelContext, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Attributes, type Context, type Span,
} from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from './trace-context.ts';

/**
 * General notes: the spans of executions, through `@opentelemetry/api` only.
 * Without an SDK registered (see {@link startTracing}) every span is a no-op
 * that still carries the caller's trace id, so records name the trace an
 * execution joined. Spans carry identities, statuses and decisions — never
 * parameters, payloads, results or renderings, except content a policy's
 * `trace: include` lets in ({@link contentAttribute}).
 */

/** The instrumentation scope of the runtime's spans. */
export const TRACER_NAME = 'symphainy';

/** Runtime-specific span attributes (OpenTelemetry's `{namespace}.` convention). */
export const SpanAttr = {
  EXECUTION_ID: 'symphainy.execution.id',
  EXECUTION_STATUS: 'symphainy.execution.status',
  INTENT_ID: 'symphainy.intent.id',
  INTENT_TYPE: 'symphainy.intent.type',
  TENANT_ID: 'symphainy.tenant.id',
  SESSION_ID: 'symphainy.session.id',
  REALM: 'symphainy.realm',
  ATTEMPT: 'symphainy.execution.attempt',
  POLICY_VERSION: 'symphainy.policy.version',
  STEP_NAME: 'symphainy.step.name',
  ARTIFACT_KEY: 'symphainy.artifact.key',
  RESULT_TYPE: 'symphainy.artifact.result_type',
  DECISION: 'symphainy.decision',
  DECISION_LAYER: 'symphainy.decision.layer',
  /** Content a policy let into the trace (`trace: include`): the artifact's semantic payload and text renderings, as JSON. */
  ARTIFACT_CONTENT: 'symphainy.artifact.content',
  /** OpenTelemetry's general attribute for the class of an error (here a SYM_ERR_* code). */
  ERROR_TYPE: 'error.type',
} as const;

/** The span event of one artifact's materialization decision. */
export const DECISION_EVENT = 'symphainy.decision';

/** Longest content attribute written (characters); longer content is cut and marked. */
export const CONTENT_ATTRIBUTE_MAX = 16_384;

export const tracer = () => trace.getTracer(TRACER_NAME);

/**
 * The parent of an execution's spans: the remote span a `traceparent` names,
 * else the active context (the embedding application's own span, if any).
 */
export function parentContext(traceparent?: string | null): Context {
  const remote = parseTraceparent(traceparent);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : otelContext.active();
}

/** Starts a span under `parent` (internal unless `kind` says otherwise). */
export function startSpan(name: string, parent: Context, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span {
  return tracer().startSpan(name, { kind, attributes }, parent);
}

/** Runs `fn` with `span` active (so logs and nested instrumentation see it), ending the span when it settles. */
export async function inSpan<T>(span: Span, parent: Context, fn: (ctx: Context, span: Span) => Promise<T>): Promise<T> {
  const ctx = trace.setSpan(parent, span);
  try {
    return await otelContext.with(ctx, () => fn(ctx, span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Marks a span failed with an error's code (never its message, which may quote content). */
export function failSpan(span: Span, err: unknown, code?: string): void {
  const type = code ?? ((err as { code?: unknown } | null)?.code as string | undefined) ?? (err as Error | null)?.name ?? 'Error';
  span.setAttribute(SpanAttr.ERROR_TYPE, String(type));
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(type) });
}

/** A span's trace, as an execution records it: null when it is in no trace (no SDK and no caller's traceparent). */
export function traceOf(span: Span): { traceId: string; traceparent: string } | null {
  const c = span.spanContext();
  return isSpanContextValid(c) ? { traceId: c.traceId, traceparent: formatTraceparent(c) } : null;
}

/** The GenAI semantic-convention attributes of one `ctx.recordUsage` (model `provider/name` names its provider). */
export function usageAttributes(u: { model: string; inputTokens: number; outputTokens: number; costUsd?: number }): Attributes {
  const slash = u.model.indexOf('/');
  return {
    'gen_ai.request.model': u.model,
    ...(slash > 0 ? { 'gen_ai.provider.name': u.model.slice(0, slash) } : {}),
    'gen_ai.usage.input_tokens': u.inputTokens,
    'gen_ai.usage.output_tokens': u.outputTokens,
    ...(u.costUsd !== undefined ? { 'symphainy.usage.cost_usd': u.costUsd } : {}),
  };
}

/** An artifact's content as a trace attribute: JSON of its semantic payload and text renderings, cut at {@link CONTENT_ATTRIBUTE_MAX}. */
export function contentAttribute(artifact: {
  semanticPayload: unknown; renderings: readonly { name: string; contentType: string; bytes: Uint8Array }[];
}): string {
  const renderings = Object.fromEntries(
    artifact.renderings.filter((r) => TEXT_TYPE.test(r.contentType)).map((r) => [r.name, TEXT.decode(r.bytes)]),
  );
  const text = JSON.stringify({ semanticPayload: artifact.semanticPayload ?? null, renderings });
  return text.length > CONTENT_ATTRIBUTE_MAX ? `${text.slice(0, CONTENT_ATTRIBUTE_MAX)}…(cut)` : text;
}

/** Renderings written into a trace as text: text/*, JSON, XML, YAML (binary ones are left out). */
const TEXT_TYPE = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|yaml))/i;
const TEXT = new TextDecoder();

/** Pino `mixin`: the active span's ids in every log line (OpenTelemetry's log field names). */
export function traceLogFields(): Record<string, string> {
  const span = trace.getSpan(otelContext.active());
  const c = span?.spanContext();
  if (!c || !isSpanContextValid(c)) return {};
  return { trace_id: c.traceId, span_id: c.spanId, trace_flags: c.traceFlags.toString(16).padStart(2, '0') };
}

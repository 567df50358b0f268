import { TraceFlags, isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/**
 * The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/):
 * `version-traceid-parentid-flags`, lower-case hex. Parsed and written here so
 * the runtime honours a caller's trace without the SDK installed.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The span context a `traceparent` names (remote), or null when the header is
 * absent or malformed — as the spec says, a malformed header is ignored and a
 * new trace starts. Version `ff` and all-zero ids are invalid; a later version
 * may carry more fields after the flags.
 */
export function parseTraceparent(header: string | null | undefined): SpanContext | null {
  if (typeof header !== 'string') return null;
  const m = TRACEPARENT.exec(header.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return null;
  const context: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(context) ? context : null;
}

/** The `traceparent` of a span context (version 00). */
export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

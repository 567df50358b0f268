import { jsonValueProblem, nonPlainKind, quote, textProblem } from './storable.ts';

/** Bytes a rendering may be given as: any typed array (Buffer, Uint8Array, Float64Array…), a DataView, an ArrayBuffer or a SharedArrayBuffer. */
export type RenderingBytes = ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

/**
 * A rendering with an explicit content type. Realms may return plain values
 * instead; their content type is then inferred (see {@link encodeRendering}).
 *
 * @example
 * ```ts
 * renderings: { svg: rendering(svgText, 'image/svg+xml'), mermaid: rendering(src, 'text/vnd.mermaid') }
 * ```
 */
export class Rendering {
  constructor(
    readonly data: string | RenderingBytes,
    readonly contentType: string,
  ) {}
}

/** Marks `data` with a content type (a media type such as `image/png` or `text/csv; charset=utf-8`). */
export function rendering(data: string | RenderingBytes, contentType: string): Rendering {
  return new Rendering(data, contentType);
}

/** A rendering as bytes, ready for a blob store or a cache. */
export interface EncodedRendering {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** RFC 9110 media type: `type/subtype` and `; name=value` parameters, tokens or quoted strings (so it is a safe header value). */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\\\x00-\\x1f\\x7f]|\\\\[^\\x00-\\x1f\\x7f])*"))*$`);
const MAX_MEDIA_TYPE = 255;

/**
 * Turns a rendering value into its exact bytes, or throws a TypeError saying
 * why it cannot be stored exactly:
 * - `Rendering`: its data (string or bytes) with its content type, which must
 *   be a valid media type;
 * - a string: its UTF-8 bytes, as `image/svg+xml` when it is an SVG
 *   document, else `text/plain; charset=utf-8` (a string with an unpaired
 *   surrogate has no UTF-8 form and is refused);
 * - bytes — any typed array or Buffer, DataView, ArrayBuffer,
 *   SharedArrayBuffer (copied) — exactly, as `application/octet-stream`;
 * - plain JSON (null, booleans, finite numbers, strings, arrays, plain
 *   objects) as `application/json`.
 * Anything else — Map, Set, Date, class instances, functions, bigint,
 * symbols, undefined, cycles — is refused rather than stored as something
 * else (JSON.stringify would turn a Map into `{}`).
 */
export function encodeRendering(name: string, value: unknown): EncodedRendering {
  if (value instanceof Rendering) {
    const contentType = value.contentType;
    if (typeof contentType !== 'string' || contentType.length > MAX_MEDIA_TYPE || !MEDIA_TYPE.test(contentType)) {
      throw new TypeError(`content type ${typeof contentType === 'string' ? quote(contentType) : String(contentType)} is not a media type (type/subtype[; name=value], at most ${MAX_MEDIA_TYPE} characters)`);
    }
    return { name, contentType, bytes: typeof value.data === 'string' ? utf8(value.data) : bytesOf(value.data) };
  }
  if (typeof value === 'string') {
    const svg = /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(value);
    return { name, contentType: svg ? 'image/svg+xml' : 'text/plain; charset=utf-8', bytes: utf8(value) };
  }
  const binary = asBytes(value);
  if (binary) return { name, contentType: 'application/octet-stream', bytes: binary };
  if (value === undefined) throw new TypeError('is undefined, which JSON cannot represent');
  // JSON text escapes NUL and unpaired surrogates faithfully (`\u0000`): only the structure is checked.
  const problem = jsonValueProblem(value, 'value', false);
  if (problem) throw new TypeError(problem);
  return { name, contentType: 'application/json', bytes: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** The exact bytes of a string; refused when it has no UTF-8 form. */
function utf8(s: string): Uint8Array {
  const problem = textProblem(s);
  // NUL is a valid byte in a rendering; an unpaired surrogate would become U+FFFD.
  if (problem && !problem.startsWith('contains a NUL')) throw new TypeError(`is a string that ${problem.replace(', which is not Unicode text and cannot be stored', '')}, which has no UTF-8 form`);
  return Buffer.from(s, 'utf8');
}

function bytesOf(data: unknown): Uint8Array {
  const b = asBytes(data);
  if (!b) throw new TypeError(`data is ${data !== null && typeof data === 'object' ? (nonPlainKind(data) ?? 'an object') : `a ${typeof data}`}, not a string or bytes`);
  return b;
}

/**
 * The bytes of any binary value as a Buffer over the same memory (every
 * driver and store takes a Buffer as bytes), or null. Memory shared with
 * other threads is copied: it could change while being stored.
 */
function asBytes(v: unknown): Uint8Array | null {
  if (ArrayBuffer.isView(v)) {
    const view = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return v.buffer instanceof ArrayBuffer ? view : Buffer.from(view);
  }
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) return Buffer.from(Buffer.from(v));
  return null;
}

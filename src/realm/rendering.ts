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
    readonly data: string | Uint8Array,
    readonly contentType: string,
  ) {}
}

/** Marks `data` with a content type. */
export function rendering(data: string | Uint8Array, contentType: string): Rendering {
  return new Rendering(data, contentType);
}

/** A rendering as bytes, ready for a blob store or a cache. */
export interface EncodedRendering {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/**
 * Turns a rendering value into bytes:
 * `Rendering` keeps its type; a string is `image/svg+xml` when it is an SVG
 * document, else `text/plain; charset=utf-8`; bytes are
 * `application/octet-stream`; anything else is JSON.
 * Throws a TypeError for values JSON cannot represent.
 */
export function encodeRendering(name: string, value: unknown): EncodedRendering {
  if (value instanceof Rendering) {
    const bytes = typeof value.data === 'string' ? Buffer.from(value.data, 'utf8') : value.data;
    return { name, contentType: value.contentType, bytes };
  }
  if (typeof value === 'string') {
    const svg = /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(value);
    return { name, contentType: svg ? 'image/svg+xml' : 'text/plain; charset=utf-8', bytes: Buffer.from(value, 'utf8') };
  }
  if (value instanceof Uint8Array) return { name, contentType: 'application/octet-stream', bytes: value };
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`rendering '${name}' is not representable as JSON`);
  return { name, contentType: 'application/json', bytes: Buffer.from(json, 'utf8') };
}

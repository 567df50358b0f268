/**
 * Checkpoint values through the saver's serializer (`serde.dumpsTyped` /
 * `loadsTyped`, LangGraph's JsonPlusSerializer unless given), so that what
 * `put` and `putWrites` accept, `getTuple` reads back.
 *
 * JsonPlusSerializer, like JSON, writes nothing for a function or a Symbol:
 * such a value is stored as nothing (an empty channel, an `undefined`
 * write), which is how MemorySaver reads it back, instead of as zero bytes
 * no reader can parse. What it would replace silently is refused at the call,
 * naming the path to it: a value `JSON.stringify` throws on (a bigint, a
 * cycle through a Map, a throwing `toJSON`) becomes a placeholder string for
 * the whole value, and a cycle becomes the string `"[Circular]"`.
 */
import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { TypedContent } from '../checkpoints/checkpoint-content.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { fieldPath, refuse } from './saver-input.ts';

/** What JsonPlusSerializer writes in place of the whole value when `JSON.stringify` throws. */
const PLACEHOLDER_TEXT = '[unable to serialize, circular reference is too complex to analyze]';
const PLACEHOLDER = Buffer.from(JSON.stringify(PLACEHOLDER_TEXT));
/** What it writes in place of a reference back to an enclosing object. */
const CIRCULAR = Buffer.from('"[Circular]"');

const utf8 = new TextEncoder();

/**
 * `value` as the serializer types it, or null when it serializes to nothing
 * (a function, a Symbol). `field` names it in a refusal.
 * @throws InvalidRequestError naming `field` (and the path within it) when
 *   the serializer would store something else than the value;
 *   InvalidRequestError naming `options.serde` when the serializer returns
 *   no `[type, bytes]`.
 */
export async function dumpContent(serde: SerializerProtocol, value: unknown, field: string, doing: string): Promise<TypedContent | null> {
  let dumped: [string, Uint8Array];
  try {
    dumped = await serde.dumpsTyped(value);
  } catch (err) {
    refuse(doing, field, `cannot be serialized: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const [type, bytes] = dumped ?? [];
  if (typeof type !== 'string' || type === '' || utf8.encode(type).length > 255 || !(bytes instanceof Uint8Array)) {
    throw new InvalidRequestError(
      `${doing}: options.serde returned no [type, bytes] for ${field}; dumpsTyped must return [type (1 to 255 UTF-8 bytes), Uint8Array]`,
      [{ path: 'options.serde', message: 'dumpsTyped must return [type, Uint8Array]' }],
    );
  }
  if (type === 'json' && bytes.length === 0) return null;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.equals(PLACEHOLDER) && value !== PLACEHOLDER_TEXT) {
    const found = unserializable(value, field);
    refuse(doing, found?.path ?? field, found?.problem ?? `cannot be serialized (${stringifyError(value)}), and would be stored as a placeholder string`);
  }
  if (view.includes(CIRCULAR)) {
    const found = unserializable(value, field);
    if (found) refuse(doing, found.path, found.problem);
  }
  return { type, bytes };
}

/** Reads stored content back; zero `json` bytes (stored before they were refused) read as nothing, like a function does. */
export async function loadContent(serde: SerializerProtocol, content: TypedContent): Promise<unknown> {
  if (content.type === 'json' && content.bytes.length === 0) return undefined;
  const value = await serde.loadsTyped(content.type, content.bytes);
  // Bytes come back as the driver's Buffer: hand back the Uint8Array that was put.
  return Buffer.isBuffer(value) ? new Uint8Array(value) : value;
}

interface Unserializable {
  /** Path to the part (`checkpoint.channel_values.a.b[1]`); a part within a Map or Set is named by the collection's path. */
  readonly path: string;
  readonly problem: string;
}

/**
 * The first part of `value` the serializer cannot store faithfully, walking
 * what `JSON.stringify` walks (own enumerable keys, arrays) and the entries of
 * Maps and Sets (which the serializer stores as arrays; a path ends at the
 * collection): a bigint, or a reference back to an enclosing object.
 */
function unserializable(value: unknown, field: string): Unserializable | null {
  const enclosing: unknown[] = [];
  const paths: string[] = [];
  const walk = (v: unknown, path: string, inCollection: string | null): Unserializable | null => {
    const at = inCollection ?? path;
    if (typeof v === 'bigint') {
      return { path: at, problem: `${inCollection === null ? 'is' : 'holds'} a bigint (${v}n), which the serializer cannot store (it would store a placeholder string instead); store it as a string or a number` };
    }
    if (typeof v !== 'object' || v === null) return null;
    const back = enclosing.indexOf(v);
    if (back >= 0) {
      return { path: at, problem: `refers back to ${paths[back]}, which encloses it: the serializer cannot store a cycle (it would store "[Circular]" or a placeholder string instead); break the cycle` };
    }
    enclosing.push(v);
    paths.push(at);
    try {
      if (v instanceof Map || v instanceof Set) {
        for (const entry of v instanceof Map ? [...v].flat() : v) {
          const found = walk(entry, path, at);
          if (found) return found;
        }
      } else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const found = walk(v[i], fieldPath(path, i), inCollection);
          if (found) return found;
        }
      } else {
        for (const key of Object.keys(v)) {
          const found = walk((v as Record<string, unknown>)[key], fieldPath(path, key), inCollection);
          if (found) return found;
        }
      }
    } finally {
      enclosing.pop();
      paths.pop();
    }
    return null;
  };
  try {
    return walk(value, field, null);
  } catch {
    return null; // a getter that throws: the refusal names the whole value
  }
}

function stringifyError(value: unknown): string {
  try {
    JSON.stringify(value);
    return 'the serializer failed';
  } catch (err) {
    return `JSON.stringify: ${(err as Error).message.split('\n')[0]}`;
  }
}

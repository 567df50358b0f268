import { escapeUnstorable, textProblem } from '../json/storable-text.ts';

/**
 * What PostgreSQL can store, checked once for everything a realm returns.
 *
 * PostgreSQL `text` refuses U+0000 (NUL) and `jsonb` refuses both `\u0000`
 * and unpaired UTF-16 surrogates (which are not Unicode scalar values and
 * have no UTF-8 encoding: a driver would silently replace them with U+FFFD).
 * Realm output is therefore either
 * - stored exactly: every string is checked here, and data (artifact keys,
 *   rendering names, result types, tags, event types, semantic payloads,
 *   event data) that would not survive is refused with an error naming the
 *   field ({@link assertStorableText}, {@link assertStorableJson}); or
 * - for free text meant for people (a failure's message), escaped
 *   ({@link escapeUnstorable}): each unstorable UTF-16 code unit becomes the
 *   six ASCII characters `\uXXXX` (lowercase hex), so `a<NUL>b` is recorded
 *   as `a\u0000b`. The marker is visible; it is only ambiguous for a message
 *   that already contained such a sequence literally.
 */

export { escapeUnstorable, textProblem } from '../json/storable-text.ts';

/**
 * `s` quoted for an error message: storable (escaped), control characters
 * shown as escapes, at most `max` characters of it (with the number left out).
 */
export function quote(s: string, max = 120): string {
  const shown = s.length > max ? s.slice(0, max) : s;
  // JSON.stringify escapes quotes, control characters and unpaired surrogates (as \udXXX text): all storable.
  const q = JSON.stringify(shown);
  return s.length > max ? `${q}… (${s.length - max} more characters)` : q;
}

/** Throws a `make`d error when `value` is not a string PostgreSQL can store; `field` names it. */
export function assertStorableText(value: string, field: string, make: (message: string) => Error): void {
  const problem = textProblem(value);
  if (problem) throw make(`${field} ${quote(value)} ${problem}`);
}

/**
 * Why `value` is not plain, storable JSON, naming the path to the offending
 * part (`root.a[2]["b c"]`), or null when it is. Plain JSON: null, booleans,
 * finite numbers, storable strings, arrays and plain objects (prototype
 * `Object.prototype` or null) of those; a property whose value is
 * `undefined` is left out, as JSON.stringify does. Everything else — Map,
 * Set, Date, class instances, functions, bigint, symbols, NaN, Infinity,
 * cycles, `undefined` in an array — would be silently turned into something
 * else (or fail) when serialised, and is refused instead. With `checkText`
 * false, strings are not checked (JSON text escapes them faithfully; only
 * jsonb refuses them).
 */
export function jsonValueProblem(value: unknown, root: string, checkText = true): string | null {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): string | null => {
    switch (typeof v) {
      case 'string': {
        const p = checkText ? textProblem(v) : null;
        return p ? `${path} ${p}` : null;
      }
      case 'boolean':
        return null;
      case 'number':
        return Number.isFinite(v) ? null : `${path} is ${String(v)}, which JSON cannot represent`;
      case 'object':
        break;
      default:
        return `${path} is a ${typeof v}, which JSON cannot represent`;
    }
    if (v === null) return null;
    const o = v as object;
    if (seen.has(o)) return `${path} refers back to itself (a cycle), which JSON cannot represent`;
    if (Array.isArray(o)) {
      seen.add(o);
      for (let i = 0; i < o.length; i++) {
        if (o[i] === undefined) return `${path}[${i}] is undefined, which JSON cannot represent`;
        const p = walk(o[i], `${path}[${i}]`);
        if (p) return p;
      }
      seen.delete(o);
      return null;
    }
    const kind = nonPlainKind(o);
    if (kind) return `${path} is ${kind}, not plain JSON (use plain objects, arrays, strings, numbers, booleans and null)`;
    seen.add(o);
    for (const key of Object.keys(o)) {
      const child = `${path}${member(key)}`;
      const kp = checkText ? textProblem(key) : null;
      if (kp) return `${path} has a key ${quote(key)} that ${kp}`;
      const item = (o as Record<string, unknown>)[key];
      if (item === undefined) continue;
      const p = walk(item, child);
      if (p) return p;
    }
    seen.delete(o);
    return null;
  };
  return walk(value, root);
}

/** Throws a `make`d error naming the path when `value` is not plain, storable JSON ({@link jsonValueProblem}). */
export function assertStorableJson(value: unknown, root: string, make: (message: string) => Error): void {
  const problem = jsonValueProblem(value, root);
  if (problem) throw make(problem);
}

/** A short description of a non-plain object (`a Map`, `an instance of Foo`), or null for a plain one. */
export function nonPlainKind(o: object): string | null {
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto === null || proto === Object.prototype) return null;
  const name = (o as { constructor?: { name?: unknown } }).constructor?.name;
  if (o instanceof Map) return 'a Map';
  if (o instanceof Set) return 'a Set';
  if (o instanceof Date) return 'a Date (use toISOString())';
  if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) return `binary data (${typeof name === 'string' ? name : 'bytes'})`;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object with a prototype';
}

/** `.key` for identifier-like keys, else `["key"]` (quoted, storable). */
function member(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${quote(key, 60)}]`;
}

/** `'s'` for an error message: unstorable code units escaped, at most `max` characters of it. */
export function named(s: string, max = 120): string {
  const shown = escapeUnstorable(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `'${shown}…' (${s.length - max} more characters)` : `'${shown}'`;
}

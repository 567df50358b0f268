/**
 * Collecting and reporting config problems, shared by the solution config and
 * governance validators.
 *
 * Validators collect every problem before throwing, so one run of
 * `symphainy policy check` shows all of them instead of one per attempt.
 *
 * @internal not re-exported from the policy module.
 */
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Pair, type YAMLMap } from 'yaml';
import { escapeUnstorable, textProblem } from '../json/storable-text.ts';

/**
 * The largest count a config may set (a `keep_latest`, attempts): PostgreSQL's
 * `integer`, so it fits every column and query parameter it reaches.
 */
export const MAX_COUNT = 2_147_483_647;

/** One problem in a config, found at `path` (keys and list indexes from the root). */
export interface ConfigIssue {
  /** Where the offending key or value sits; used to look up its line. */
  readonly path: readonly (string | number)[];
  /** The problem, prefixed with the dotted key it concerns (`materialization_policy.workflow: …`). */
  readonly message: string;
}

/** Collects issues; `add(path, label, message)` prefixes the message with the label. */
export class IssueList {
  /**
   * @param recorded checking a policy an earlier version stored: rules added
   *   since (bounds, combinations now refused) are not applied to it, so
   *   what was once accepted stays readable.
   */
  constructor(
    readonly items: ConfigIssue[] = [],
    private readonly prefix: readonly (string | number)[] = [],
    readonly recorded = false,
  ) {}

  /**
   * @param path where the problem is (for the line number)
   * @param label the key named in the message (`''` for problems with no key, e.g. the top level)
   */
  add(path: readonly (string | number)[], label: string, message: string): void {
    this.items.push({ path: [...this.prefix, ...path], message: label ? `${label}: ${message}` : message });
  }

  /** The same list, for a checker of the value at `path`: its paths are relative to it. */
  under(path: readonly (string | number)[]): IssueList {
    return new IssueList(this.items, [...this.prefix, ...path], this.recorded);
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}

/** `a.b` from a key path; list indexes as `[i]`. */
export function dotted(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/**
 * The lines of an error message: `SOURCE[:LINE]: message` per issue, sorted by
 * line when lines are known, so the report reads top to bottom like the file.
 */
export function formatIssues(
  source: string,
  issues: readonly ConfigIssue[],
  lineOf?: (path: readonly (string | number)[]) => number | undefined,
): string {
  const located = issues.map((issue, order) => ({ issue, order, line: lineOf?.(issue.path) }));
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.order - b.order);
  return located
    .map(({ issue, line }) => `${source}${line === undefined ? '' : `:${line}`}: ${issue.message}`)
    .join('\n');
}

/**
 * Adds an issue, at its path, for every string of a config — value or key,
 * however deep — that PostgreSQL cannot store (a NUL, e.g. YAML's `"\0"`,
 * or an unpaired surrogate): a config is stored with the policy version
 * that applies it, so what validates must be storable. `labelRoot` starts
 * each message's key (`rules` → `rules[0].description`).
 */
export function unstorableIssues(raw: unknown, issues: IssueList, labelRoot?: string): void {
  // Iterative, with each path a link to its parent's: a request body's candidate may nest deeper than the stack.
  interface At { readonly parent: At | null; readonly seg: string | number }
  const pathOf = (at: At | null): (string | number)[] => {
    const out: (string | number)[] = [];
    for (let a = at; a; a = a.parent) out.push(a.seg);
    return out.reverse();
  };
  // Keys in a label are escaped: the message itself must be printable and storable.
  const add = (at: At | null, message: string) => {
    const path = pathOf(at);
    const shown = path.map((seg) => (typeof seg === 'string' ? escapeUnstorable(seg) : seg));
    issues.add(path, dotted(labelRoot === undefined ? shown : [labelRoot, ...shown]), message);
  };
  const stack: [unknown, At | null][] = [[raw, null]];
  // A value reached twice (a YAML alias, a shared or cyclic object) is checked once.
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [value, at] = stack.pop()!;
    // A mapping's key, checked where its value is visited: issues come in the file's order.
    const keyProblem = typeof at?.seg === 'string' ? textProblem(at.seg) : null;
    if (keyProblem) add(at, `is a key that ${keyProblem}`);
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) add(at, problem);
      continue;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], { parent: at, seg: i }]);
    } else if (isPlainObject(value)) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) stack.push([value[keys[i]!], { parent: at, seg: keys[i]! }]);
    }
  }
}

/** True for `{}`-style objects (what YAML mappings and JSON objects become), not arrays, Maps or class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The 1-based line of the key at `path` in the document (of the value when
 * there is no key, e.g. the top level). Walks the YAML nodes rather than
 * `doc.getIn(path, true)` because that returns the value node, and the line
 * worth pointing at is the key's — a block value starts on the next line.
 */
export function lineOfPath(
  doc: Document, lineCounter: LineCounter, path: readonly (string | number)[], index: MapIndex = new WeakMap(),
): number | undefined {
  let node: unknown = doc.contents;
  let range = rangeOf(node);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = pairOf(node, String(seg), index);
      if (!pair) break;
      range = rangeOf(pair.key) ?? rangeOf(pair.value) ?? range;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      range = rangeOf(node) ?? range;
    } else {
      break;
    }
  }
  return range ? lineCounter.linePos(range[0]).line : undefined;
}

/** Per mapping node, its pairs by key: built once, so looking up the lines of many issues stays linear. */
type MapIndex = WeakMap<YAMLMap, Map<string, Pair>>;

function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function pairOf(map: YAMLMap, key: string, index: MapIndex): Pair | undefined {
  let byKey = index.get(map);
  if (!byKey) {
    byKey = new Map();
    for (const p of map.items as Pair[]) if (!byKey.has(keyText(p))) byKey.set(keyText(p), p);
    index.set(map, byKey);
  }
  return byKey.get(key);
}

/**
 * Positions of keys repeated within one mapping. yaml's own check
 * (`uniqueKeys`) compares each key with every earlier one — quadratic in a
 * mapping's size — so it is off and this one pass with a Set replaces it.
 */
function duplicateKeys(doc: Document): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const p of map.items) {
        if (!isPair(p)) continue;
        const k = keyText(p as Pair);
        if (seen.has(k)) out.push({ key: k, offset: rangeOf(p.key)?.[0] ?? 0 });
        else seen.add(k);
      }
    },
  });
  return out;
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  const range = (node as { range?: readonly [number, number, number] | null } | null | undefined)?.range;
  return range ?? undefined;
}

/**
 * The text of a config file; a missing or unreadable one becomes the error
 * `fail` builds from a message naming the file and what `kind` of config it is.
 */
export async function readConfigFile(file: string, kind: string, fail: (message: string, cause: unknown) => Error): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    // The common causes in plain words; anything else keeps the system's message.
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? `${kind} file not found`
      : code === 'EISDIR' ? `is a directory; expected a ${kind} file`
      : code === 'EACCES' ? `cannot read ${kind}: permission denied`
      : `cannot read ${kind}: ${(err as Error).message}`;
    throw fail(`${file}: ${why}`, err);
  }
}

/** A parsed YAML config: its plain value and a way to find the line of a key path. */
export interface YamlConfig {
  readonly raw: unknown;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/**
 * Parses a YAML config's text. Syntax errors become one error (built by
 * `fail`) with a `FILE:LINE:COL: invalid YAML: …` line each; an empty
 * document is `null`.
 */
export function parseYamlConfig(text: string, file: string, fail: (message: string, cause?: unknown) => Error): YamlConfig {
  const lineCounter = new LineCounter();
  // prettyErrors off: we want yaml's bare message and build the `FILE:LINE:COL:` prefix ourselves.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const problems = [
    ...doc.errors.map((err) => ({ offset: err.pos[0], message: err.message })),
    ...(doc.errors.length === 0 ? duplicateKeys(doc).map((d) => ({ offset: d.offset, message: `Map keys must be unique ('${d.key}' is repeated)` })) : []),
  ];
  if (problems.length > 0) {
    throw fail(
      problems
        .map((p) => {
          const { line, col } = lineCounter.linePos(p.offset);
          return `${file}:${line}:${col}: invalid YAML: ${p.message}`;
        })
        .join('\n'),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // e.g. an alias expanding past yaml's maxAliasCount ("billion laughs").
    throw fail(`${file}: invalid YAML: ${(err as Error).message}`, err);
  }
  const index: MapIndex = new WeakMap();
  return { raw, lineOf: (path) => lineOfPath(doc, lineCounter, path, index) };
}

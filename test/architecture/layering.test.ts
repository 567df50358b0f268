import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The layout the README's "Layout" section promises: folders of src/ form layers, and no folder
// imports one that imports it back (directly or through others). Read from the sources' own imports.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [join(dir, e.name)] : []);
}

/** The folder of src/ a file belongs to (`index.ts` at the top: the public entry). */
const folderOf = (file: string) => relative(src, file).split('/').slice(0, -1)[0] ?? '(entry)';

function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sources(src)) {
    const from = folderOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[1]!));
      if (!target.startsWith(src)) continue;
      const to = folderOf(target);
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), `${relative(root, file)} imports ${m[1]}`]);
    }
  }
  return graph;
}

/** Every cycle of folders, as the path that closes it, with the imports along the way. */
function cycles(graph: Map<string, Map<string, string[]>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        const why = loop.slice(0, -1).map((f, i) => graph.get(f)!.get(loop[i + 1]!)![0]);
        found.push(`${loop.join(' -> ')}\n    ${why.join('\n    ')}`);
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

test('no folder of src/ imports a folder that imports it back', () => {
  const found = cycles(folderGraph());
  assert.deepEqual(found, [], `folder cycles:\n${found.join('\n')}`);
});

test('the lower layers import nothing above them: db, store and policy never reach execution, runtime, http or cli', () => {
  const graph = folderGraph();
  const above = new Set(['execution', 'worker', 'runtime', 'metrics', 'http', 'cli', 'testing', 'examples', '(entry)']);
  for (const low of ['db', 'store', 'policy', 'intent', 'realm', 'errors', 'json']) {
    const reached = [...(graph.get(low)?.entries() ?? [])].filter(([to]) => above.has(to));
    assert.deepEqual(reached.map(([to, why]) => `${low} -> ${to}: ${why[0]}`), []);
  }
});

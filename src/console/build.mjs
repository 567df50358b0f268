// Builds the operator console (src/console/ui) into dist/console: one ES
// module bundle (Preact, htm, marked, DOMPurify), the diagram frame's bundle
// (Mermaid, loaded when a diagram is drawn), the stylesheet and the pages. Nothing is
// fetched at run time. `npm run build:console`; `npm run build` and
// `npm start` run it. `--out DIR` builds elsewhere (tests).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ui = join(root, 'src', 'console', 'ui');
const at = process.argv.indexOf('--out');
const out = at === -1 ? join(root, 'dist', 'console') : resolve(process.argv[at + 1] ?? '');
if (at !== -1 && !process.argv[at + 1]) throw new Error('--out needs a directory');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(ui, 'main.js'), join(ui, 'diagram.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  outdir: out,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});
for (const file of ['index.html', 'diagram.html']) copyFileSync(join(ui, file), join(out, file));
copyFileSync(join(ui, 'app.css'), join(out, 'app.css'));
console.log(`console built into ${out}`);

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The absolute path of a file shipped with the package (`config/`, `examples/`,
 * `package.json`), e.g. `packagePath('config', 'mvp_materialization_policy.yaml')`.
 * The root is the nearest folder above this module holding a `package.json`:
 * the same folder whether the sources run (`src/`) or the compiled output
 * (`dist/src/`), which has no `package.json` of its own.
 */
export function packagePath(...segments: string[]): string {
  root ??= findRoot(dirname(fileURLToPath(import.meta.url)));
  return join(root, ...segments);
}

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

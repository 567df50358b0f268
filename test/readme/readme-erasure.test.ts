import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

/** Splits one shell command line into words (single quotes only, as the README writes them). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

async function filesHolding(dir: string, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath, e.name);
    if ((await readFile(file)).includes(marker)) found.push(file);
  }
  return found;
}

test("the README's command-line erasure runs as written: the subject's key is destroyed and its marker is in no file", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('From the command line, with the example realm `examples/crm-realm.mjs`'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the README has the command-line erasure block');
  const lines = block.replace(/\\\n\s*/g, '').split('\n').filter((l) => l.startsWith('npx symphainy '));
  assert.equal(lines.length, 2, block);
  const marker = /MARKER-\d+/.exec(block)![0];
  const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-readme-erasure-'));
  // As a user's shell: only the data dir is set; its keys live in it.
  const env: NodeJS.ProcessEnv = { SYMPHAINY_DATA_DIR: dataDir };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_')) env[k] = v;
  try {
    const outputs: string[] = [];
    for (const line of lines) {
      const args = words(line).slice(2);
      outputs.push(await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [bin, ...args], { cwd: root, env }, (err, out, errOut) =>
          err ? reject(new Error(`${line}\n${err.message}\n${errOut}`)) : resolve(out))));
    }
    assert.match(outputs[0]!, /: completed/);
    assert.match(outputs[1]!, /1 executions erased/);
    assert.match(outputs[1]!, /data keys destroyed: u\./);
    assert.deepEqual(await filesHolding(dataDir, marker), [], `${marker} is in no file of the data dir`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

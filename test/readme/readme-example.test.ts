import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test("the README's library example runs as written and persists under the MVP policy", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## As a library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'README has a ts block under "As a library"');
  const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-readme-'));
  // Inside the package so that `import … from 'symphainy'` resolves to this checkout.
  const file = join(root, 'test/readme', `.example-${process.pid}.ts`);
  await writeFile(file, `${code}\nconsole.log('RESULT ' + JSON.stringify(result));\n`);
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, SYMPHAINY_DATA_DIR: dataDir } }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      ),
    );
    const result = JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7));
    assert.equal(result.status, 'completed');
    assert.equal(result.artifacts[0].decision, 'persist');
    assert.equal(result.artifacts[0].layer, 'solution');
    assert.match(result.artifacts[0].storagePath, /^inline:tenants\/acme\/artifacts\/art_.*\.json$/);
    // Subscribers saw the committed events, including the realm's own.
    assert.match(stdout, /^notes\.summarized [0-9a-f-]{36}$/m);
    assert.match(stdout, /^execution\.completed [0-9a-f-]{36}$/m);
  } finally {
    await rm(file, { force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("the README's HTTP API example serves the runtime", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## HTTP API'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code?.includes('createHttpServer'), 'README has a ts block under "HTTP API"');
  const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-readme-http-'));
  const file = join(root, 'test/readme', `.example-http-${process.pid}.ts`);
  // Any free port instead of 7070, then one request and a clean stop.
  await writeFile(
    file,
    `${code!.replace('port: 7070', 'port: 0')}
const res = await fetch(\`http://127.0.0.1:\${app.addresses()[0]!.port}/readyz\`);
console.log('READY ' + res.status + ' ' + JSON.stringify(await res.json()));
await app.close();
await runtime.close();
`,
  );
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, SYMPHAINY_DATA_DIR: dataDir, SYMPHAINY_ADMIN_KEY: 'k'.repeat(40) } }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      ),
    );
    assert.match(stdout, /^READY 200 \{"status":"ready","store":"embedded"\}$/m);
  } finally {
    await rm(file, { force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("the README's LangGraph example checkpoints a graph through the runtime, resumes it and explains the decision", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## LangGraph checkpoints')))?.[1];
  assert.ok(code?.includes('SymphainyCheckpointSaver'), 'README has a ts block under "LangGraph checkpoints"');
  const file = join(root, 'test/readme', `.example-langgraph-${process.pid}.ts`);
  await writeFile(file, code!);
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', file], { cwd: root }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out))),
    );
    assert.deepEqual(stdout.trim().split('\n'), [
      'published',
      'solution config (inline) sets checkpoint: persist (retention 30d) (keep latest 20 per thread)',
    ]);
  } finally {
    await rm(file, { force: true });
  }
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defineRealm } from '../../src/index.ts';
import { MAX_NAME_BYTES, namingProblem } from '../../src/realm/rendering-name.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';
import { expectProblem, ok } from './api-helpers.ts';

/**
 * One naming rule for renderings (src/realm/rendering-name.ts): every name a
 * realm can write is readable over HTTP (percent-encoded path segment) and
 * the CLI; every name the rule refuses is refused at write, as a recorded
 * failure naming it, and at read, as a 400 / a CLI error.
 */

const LONG = `${'é'.repeat((MAX_NAME_BYTES - 1) / 2)}x`; // exactly MAX_NAME_BYTES bytes of UTF-8
const NAMES = ['my file.svg', 'résumé', 'a/b', 'x/y/z.txt', LONG, '100%', 'q?a=1&b#frag', '名前.md', '🎉', ' lead and trail ', '+plus+', "it's \"quoted\""];
const REFUSED: [string, RegExp][] = [
  [`${LONG}y`, /over the limit of 255/],
  ['tab\there', /control character \(U\+0009\)/],
  ['..', /'\.' or '\.\.' segment/],
  ['a/../b', /'\.' or '\.\.' segment/],
  ['\u0085next', /control character \(U\+0085\)/],
];

/** Each name's content: the name itself, so a mix-up shows. */
const contentOf = (name: string) => `content of ${name}`;

const names = defineRealm({
  name: 'names',
  intents: {
    emit: { handler: () => ({ artifacts: { w: { resultType: 'workflow', renderings: Object.fromEntries(NAMES.map((n) => [n, contentOf(n)])) } } }) },
    nul_error: { handler: () => { throw new Error('model output a\u0000b \ud800'); } },
    refused: {
      handler: (p: { name: string }) => ({ artifacts: { w: { resultType: 'workflow', renderings: { [p.name]: 'x' } } } }),
    },
  },
});

describe(`rendering names: what is written can be read (${TEST_DRIVER})`, () => {
  let server: TestServer;
  let key: string;
  let artifactId: string;
  before(async () => {
    server = await startTestServer({ runtime: { realms: [names] } });
    key = await server.tenant('names-tenant');
    const run = await ok(await server.call('/v1/intents', { key, method: 'POST', json: { intentType: 'names.emit', sessionId: 's', parameters: {} } }));
    assert.equal(run.status, 'completed', JSON.stringify(run.error));
    artifactId = run.artifacts[0].artifactId;
  });
  after(() => server?.close());

  it('the examples follow the rule', () => {
    for (const n of NAMES) assert.equal(namingProblem(n), null, n);
    assert.equal(Buffer.byteLength(LONG), MAX_NAME_BYTES);
  });

  for (const name of NAMES) {
    it(`GET …/content/${encodeURIComponent(name).slice(0, 40)} answers the exact bytes`, async () => {
      const res = await server.call(`/v1/artifacts/${artifactId}/content/${encodeURIComponent(name)}`, { key });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(await res.text(), contentOf(name));
    });
  }

  it('the href of every rendering in the artifact view reads it back', async () => {
    const a = await ok(await server.call(`/v1/artifacts/${artifactId}`, { key }));
    assert.deepEqual(a.renderings.map((r: { name: string }) => r.name).sort(), [...NAMES].sort());
    for (const r of a.renderings as { name: string; href: string }[]) {
      const res = await server.call(r.href, { key });
      assert.equal(await res.text(), contentOf(r.name), r.href);
    }
  });

  for (const [name, problem] of REFUSED) {
    it(`${JSON.stringify(name).slice(0, 30)}: refused at write (recorded) and at read (400)`, async () => {
      const res = await server.call('/v1/intents', { key, method: 'POST', json: { intentType: 'names.refused', sessionId: 's', parameters: { name } } });
      assert.equal(res.status, 200, await res.clone().text());
      const run = await res.json();
      const e = await ok(await server.call(`/v1/executions/${run.executionId}`, { key }));
      assert.equal(e.status, 'failed');
      assert.deepEqual(e.error, run.error);
      assert.equal(e.error.code, 'SYM_ERR_REALM_RESULT');
      assert.match(e.error.message, /rendering name/);
      assert.match(e.error.message, problem);
      // A URL cannot even carry '..' as a segment (clients resolve it, encoded or not): only the write side is checked.
      if (name === '..') return;
      const p = await expectProblem(await server.call(`/v1/artifacts/${artifactId}/content/${encodeURIComponent(name)}`, { key }), 400, { field: 'rendering' });
      assert.match(JSON.stringify(p), problem);
    });
  }

  it('a handler error with NUL and a lone surrogate: answered as a recorded failure, and its Idempotency-Key replays it (not 503, then 409)', async () => {
    const post = () => server.call('/v1/intents', { key, method: 'POST', headers: { 'idempotency-key': 'nul-error-1' }, json: { intentType: 'names.nul_error', sessionId: 's' } });
    const first = await post();
    assert.equal(first.status, 200, await first.clone().text());
    const run = await first.json();
    assert.equal(run.status, 'failed');
    assert.equal(run.error.code, 'SYM_ERR_REALM_FAILED');
    assert.match(run.error.message, /model output a\\u0000b \\ud800/);
    const again = await post();
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), run);
  });

  it('a name no artifact has is a 404, not a 400', async () => {
    await expectProblem(await server.call(`/v1/artifacts/${artifactId}/content/${encodeURIComponent('no such.svg')}`, { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
  });
});

describe('rendering names through the CLI (embedded)', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  let dir: string;
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', join(dir, 'data'), ...args], { cwd: root, encoding: 'buffer' }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr.toString('utf8') });
      });
    });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-names-'));
    const renderings = Object.fromEntries(NAMES.map((n) => [n, contentOf(n)]));
    await writeFile(join(dir, 'names.mjs'), `export default { name: 'names', intents: { emit: { handler: () => ({ artifacts: { w: { resultType: 'workflow', renderings: ${JSON.stringify(renderings)} } } }) } } };\n`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('artifacts get ID --rendering NAME prints each name\'s exact bytes; a name the rule refuses is an error naming it', async () => {
    const config = join(root, 'config/mvp_materialization_policy.yaml');
    const run = await cli(['run', 'names.emit', '--realm', join(dir, 'names.mjs'), '--tenant', 'acme', '--config', config, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const id = JSON.parse(run.stdout.toString('utf8')).artifacts[0].artifactId as string;
    for (const name of NAMES) {
      const r = await cli(['artifacts', 'get', id, '--tenant', 'acme', '--rendering', name]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout.toString('utf8'), contentOf(name));
    }
    const bad = await cli(['artifacts', 'get', id, '--tenant', 'acme', '--rendering', 'a/../b']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--rendering "a\/\.\.\/b" has a '\.' or '\.\.' segment/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    const empty = await cli(['artifacts', 'get', id, '--tenant', 'acme', '--rendering', '']);
    assert.equal(empty.code, 2, 'an empty name is refused, not read as "no rendering"');
    assert.match(empty.stderr, /--rendering "" is empty/);
  });
});

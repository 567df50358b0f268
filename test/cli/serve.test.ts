/**
 * `symphainy serve` and `symphainy tenants` as a user runs them: real
 * processes on a temporary data dir, the printed URL and key used with fetch.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');
const ADMIN_KEY = 'serve-test-admin-key-0123456789abcdefghij';
const KEY = /sym_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/;

/** The environment without any SYMPHAINY_* setting of the caller's shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_') || k === 'SYMPHAINY_KEY_DIR' || k === 'SYMPHAINY_KEK') env[k] = v; // the run's shared key store stays
  return { ...env, SYMPHAINY_LOG_LEVEL: 'warn', ...extra };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: cleanEnv(env), maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const running = new Set<ChildProcess>();

interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `symphainy serve …` and waits for its URL line (and, with --demo, the whole hint) . */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd: root, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  const demo = args.includes('--demo');
  const deadline = Date.now() + 120_000; // a guard against hanging, not a timing expectation
  let url: string | undefined;
  for (;;) {
    url = /SymphAIny API on (http:\/\/[^\s]+) /.exec(err)?.[1];
    if (url && (!demo || out.includes('curl -sN'))) break;
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

// Each test has its own data dir (the embedded store admits one process at a time), so they run side by side.
describe('symphainy serve and tenants', { timeout: 400_000, concurrency: true }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-serve-'));
  });
  after(async () => {
    for (const child of running) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('serve --demo again on the same data dir prints the same key; once it is revoked, a new one replaces it and earlier demo keys are revoked', async () => {
    const dataDir = join(dir, 'demo-twice');
    const keyFile = join(dataDir, 'demo-api-key');
    const keyOf = (s: Served) => {
      const key = /export KEY=(\S+)/.exec(s.stdout())?.[1];
      assert.ok(key && KEY.test(key), s.stdout());
      return key;
    };
    const keyIdOf = (key: string) => /^sym_([a-f0-9]{16})_/.exec(key)![1]!;
    const status = (url: string, key: string) => fetch(`${url}/v1/artifacts`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    const activeKeys = async () => {
      const r = await cli(['--data-dir', dataDir, 'tenants', 'keys', 'demo', '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { keyId: string; revokedAt: string | null }[]).filter((k) => !k.revokedAt).map((k) => k.keyId);
    };

    const first = await serve(['--port', '0', '--demo', '--data-dir', dataDir]);
    const key = keyOf(first);
    assert.equal(await first.stop(), 0, first.stderr());
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal((await readFile(keyFile, 'utf8')).trim(), key);

    const second = await serve(['--port', '0', '--demo', '--data-dir', dataDir]);
    try {
      assert.equal(keyOf(second), key, 'the second start prints the first key');
      assert.match(second.stdout(), /API key \(the same key as the last start, kept in \S+demo-api-key\)/);
      assert.equal(await status(second.url, key), 200);
    } finally {
      assert.equal(await second.stop(), 0, second.stderr());
    }
    assert.deepEqual(await activeKeys(), [keyIdOf(key)], 'one demo key is valid, not one per start');

    // The kept key revoked, and another demo key issued by hand: the next start issues a new key and revokes the other.
    const revoked = await cli(['--data-dir', dataDir, 'tenants', 'revoke-key', keyIdOf(key), '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(JSON.parse(revoked.stdout).keyId, keyIdOf(key));
    const added = await cli(['--data-dir', dataDir, 'tenants', 'add-key', 'demo', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const other = JSON.parse(added.stdout) as { keyId: string; apiKey: string };

    const third = await serve(['--port', '0', '--demo', '--data-dir', dataDir]);
    let fresh: string;
    try {
      fresh = keyOf(third);
      assert.notEqual(fresh, key);
      assert.match(third.stdout(), new RegExp(`earlier demo keys revoked: ${other.keyId}\\)`));
      assert.equal(await status(third.url, fresh), 200);
      assert.equal(await status(third.url, key), 401);
      assert.equal(await status(third.url, other.apiKey), 401);
    } finally {
      assert.equal(await third.stop(), 0, third.stderr());
    }
    assert.equal((await readFile(keyFile, 'utf8')).trim(), fresh);
    assert.deepEqual(await activeKeys(), [keyIdOf(fresh)]);
  });

  test('serve --port 0 --demo: prints the URL and a demo key with a curl line that works; SIGTERM stops it with exit code 0', async () => {
    const s = await serve(['--port', '0', '--demo', '--data-dir', join(dir, 'demo')]);
    let code: number | null | undefined;
    try {
      const port = Number(new URL(s.url).port);
      assert.ok(port > 0 && port <= 65535, `the actual port is printed: ${s.url}`);
      assert.equal(new URL(s.url).hostname, '127.0.0.1');
      assert.match(s.stderr(), new RegExp(`OpenAPI: ${s.url}/openapi.json`));
      assert.match(s.stderr(), new RegExp(`Console: ${s.url}/console`));

      const key = /export KEY=(\S+)/.exec(s.stdout())?.[1];
      assert.ok(key && KEY.test(key), s.stdout());
      assert.match(s.stdout(), /Tenant 'demo', API key \(new, kept in \S+demo-api-key \(0600\) and printed again next start\)/);
      // The printed curl command, run with fetch.
      const curl = /curl -s -X POST (\S+) -H "authorization: Bearer \$KEY" -H '(content-type: application\/json)' \\\n\s+-d '([^']+)'/.exec(s.stdout());
      assert.ok(curl, s.stdout());
      const [, postUrl, , body] = curl;
      assert.equal(postUrl, `${s.url}/v1/intents`);
      const res = await fetch(postUrl!, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body! });
      const result = await res.json() as any;
      assert.equal(res.status, 200, JSON.stringify(result));
      assert.equal(result.status, 'completed');
      assert.equal(result.tenantId, 'demo');
      const listed = await fetch(`${s.url}/v1/artifacts`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(listed.status, 200);
      assert.equal(((await listed.json()) as any).items.length, 0, 'no --config: the platform default discards derived artifacts');
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
      assert.match(s.stderr(), /admin routes off/);
      assert.equal((await fetch(`${s.url}/v1/admin/tenants`, { headers: { authorization: `Bearer ${key}` } })).status, 403);

      // A client is streaming events when the server is told to stop: the stream ends, the process exits.
      const events = await fetch(`${s.url}/v1/events`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(events.status, 200);
      const reader = events.body!.getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /retry: \d+/);
      code = await s.stop();
      for (;;) if ((await reader.read()).done) break;
    } finally {
      code ??= await s.stop();
    }
    assert.equal(code, 0, s.stderr());
    assert.match(s.stderr(), /SIGTERM: stopping/);
  });

  test('tenants create prints a key once that works against serve; list, keys, revoke-key (then the key gives 401); serve reads its runtime config', async () => {
    const dataDir = join(dir, 'tenants');
    const created = await cli(['tenants', 'create', 'acme', '--data-dir', dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const key = KEY.exec(created.stdout)?.[0];
    assert.ok(key, created.stdout);
    const keyId = key.split('_')[1]!;
    assert.match(created.stdout, new RegExp(`tenant 'acme', key ${keyId}`));
    assert.match(created.stdout, /shown once/);

    // The key works against a later serve on the same data dir; the admin key from the environment turns on
    // admin routes, which issue a second key for the tenant the command created.
    let s = await serve(['--port', '0', '--no-worker', '--data-dir', dataDir], { SYMPHAINY_ADMIN_KEY: ADMIN_KEY });
    let second: { tenantId: string; keyId: string; apiKey: string };
    try {
      assert.match(s.stderr(), /admin routes on/);
      const res = await fetch(`${s.url}/v1/executions`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200, await res.text());
      const issued = await fetch(`${s.url}/v1/admin/tenants/acme/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(issued.status, 201);
      second = (await issued.json()) as typeof second;
      assert.equal((await fetch(`${s.url}/v1/executions`, { headers: { authorization: `Bearer ${second.apiKey}` } })).status, 200);
      const dup = await fetch(`${s.url}/v1/admin/tenants`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{"tenantId":"acme"}',
      });
      assert.equal(dup.status, 409);

      // A bad tenant id is refused at once, even while serve holds the data dir (no wait for it).
      const badTenant = await cli(['tenants', 'create', 'bad id!', '--data-dir', dataDir]);
      assert.equal(badTenant.code, 2, badTenant.stderr);
      assert.match(badTenant.stderr, /^error \[SYM_ERR_INVALID_REQUEST\]: .*bad id!/m);
      assert.doesNotMatch(badTenant.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      assert.equal(await s.stop(), 0, s.stderr());
    }

    const list = await cli(['tenants', 'list', '--data-dir', dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^acme\s+2\s+\d{4}-/m);
    const keys = await cli(['tenants', 'keys', 'acme', '--json', '--data-dir', dataDir]);
    assert.equal(keys.code, 0, keys.stderr);
    assert.deepEqual(JSON.parse(keys.stdout).map((k: any) => k.keyId).sort(), [keyId, second.keyId].sort());
    for (const r of [list, keys]) {
      assert.equal(r.stdout.includes(key), false, 'the key is shown only once');
      assert.equal(r.stdout.includes(second.apiKey), false);
    }

    const revoked = await cli(['tenants', 'revoke-key', keyId, '--data-dir', dataDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`revoked key ${keyId} of tenant 'acme'`));

    // Serve again, now set up by a runtime config file: port, admin key and body limit from its http section.
    const config = join(dir, 'served.yaml');
    await writeFile(config, `http:\n  port: 0\n  admin_key: ${ADMIN_KEY}\n  limits: { body: 1kb }\n`);
    s = await serve(['--no-worker', '--runtime-config', config, '--data-dir', dataDir]);
    try {
      assert.match(s.stderr(), /admin routes on/);
      assert.notEqual(new URL(s.url).port, '7070', 'http.port 0 from the file');
      const big = await fetch(`${s.url}/v1/intents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${second.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: `1. ${'x'.repeat(2000)}` } }),
      });
      assert.equal(big.status, 413, 'http.limits.body from the file');
      const res = await fetch(`${s.url}/v1/executions`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal((await fetch(`${s.url}/v1/executions`, { headers: { authorization: `Bearer ${second.apiKey}` } })).status, 200);
      const listed = await fetch(`${s.url}/v1/admin/tenants/acme/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const byId = new Map(((await listed.json()) as any).items.map((k: any) => [k.keyId, k.revokedAt]));
      assert.ok(byId.get(keyId), 'revoked');
      assert.equal(byId.get(second.keyId), null);
    } finally {
      assert.equal(await s.stop(), 0, s.stderr());
    }
  });

  test('bad input: a bad tenant id, --port abc, a runtime config with http.port 70000 — exit 2, naming what is wrong, no stack trace', async () => {
    const dataDir = join(dir, 'bad');
    // Refused before the data dir is opened (so none is made, and a running serve is not waited for).
    const badTenant = await cli(['tenants', 'create', '../escape', '--data-dir', dataDir]);
    assert.equal(badTenant.code, 2, badTenant.stderr);
    assert.match(badTenant.stderr, /^error \[SYM_ERR_INVALID_REQUEST\]: tenant id "\.\.\/escape"/m);
    const badPort = await cli(['serve', '--port', 'abc', '--data-dir', dataDir]);
    assert.equal(badPort.code, 2, badPort.stderr);
    assert.match(badPort.stderr, /^error \[SYM_ERR_CONFIG\]: .*--port.*'abc'/m);
    const tooBig = await cli(['serve', '--port', '70000', '--data-dir', dataDir]);
    assert.equal(tooBig.code, 2, tooBig.stderr);
    assert.match(tooBig.stderr, /--port/);

    const config = join(dir, 'runtime.yaml');
    await writeFile(config, `# runtime config\nrealm_timeout: 30s\nhttp:\n  host: 127.0.0.1\n  port: 70000\n`);
    const badConfig = await cli(['serve', '--runtime-config', config, '--data-dir', dataDir]);
    assert.equal(badConfig.code, 2, badConfig.stderr);
    assert.match(badConfig.stderr, new RegExp(`^error \\[SYM_ERR_CONFIG\\]: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: http\\.port`, 'm'));

    for (const r of [badTenant, badPort, tooBig, badConfig]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(dataDir), false, 'no data dir was made for bad input');
  });

  test('a port already in use is a clear error (exit 2), not a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const r = await cli(['serve', '--port', String(port), '--data-dir', join(dir, 'busy')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^error \\[SYM_ERR_CONFIG\\]: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`, 'm'));
    } finally {
      blocker.close();
    }
  });
});

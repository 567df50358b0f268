/**
 * The shape of the `symphainy` command: which commands open a store (only
 * those that read or write recorded data), what building the program loads
 * (commander and the command modules, never the database or the HTTP
 * server), and its flags (every data command takes --json; one flag name
 * per concept).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';
import { DataDirLock } from '../../src/runtime/data-dir-lock.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');
const MVP = join(root, 'config/mvp_materialization_policy.yaml');
const PLATFORM = join(root, 'config/platform_policy.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any SYMPHAINY_* setting of the caller's shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_') || k === 'SYMPHAINY_KEY_DIR' || k === 'SYMPHAINY_KEK') env[k] = v; // the run's shared key store stays
  return { ...env, ...extra };
}

function run(file: string, args: string[], cwd: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, file, ...args], { cwd, env: cleanEnv(env), maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Commands that need no store; absolute paths, so they run from any folder. */
const NO_STORE: string[][] = [
  ['--help'],
  ['--version'],
  ['artifacts', 'get', '--help'],
  ['intents'],
  ['intents', '--json'],
  ['intents', '--realm', join(root, 'examples/my-realm.mjs'), '--json'],
  ['policy', 'validate', MVP],
  ['policy', 'validate', '--platform', PLATFORM, '--json'],
  ['policy', 'show', '--config', MVP, '--json'],
  ['--platform-policy', PLATFORM, 'policy', 'show', '--json'],
  ['policy', 'explain', '--config', MVP, '--result-type', 'workflow'],
  ['policy', 'explain', '--config', MVP, '--result-type', 'workflow', '--json'],
];

describe('commands that need no store', { concurrency: 4 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-nostore-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Also without --config: a data dir that does not exist has no active policy to describe.
  const fresh = [...NO_STORE, ['policy', 'show', '--json'], ['policy', 'explain', '--result-type', 'workflow', '--json']];
  for (const args of fresh) {
    test(`symphainy ${args.map((a) => a.replace(root, '')).join(' ')}: works in an empty folder and creates no data dir`, async () => {
      const cwd = await mkdtemp(join(dir, 'cwd-'));
      const r = await run(bin, args, cwd);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 0);
      assert.deepEqual(await readdir(cwd), [], 'nothing was created in the working folder');
    });
  }

  test('intents lists the example realms and --realm modules; policy show without --config in a fresh folder is the default policy', async () => {
    const cwd = await mkdtemp(join(dir, 'cwd-'));
    const list = JSON.parse((await run(bin, ['intents', '--realm', join(root, 'examples/my-realm.mjs'), '--json'], cwd)).stdout) as { intentType: string }[];
    assert.ok(list.some((i) => i.intentType === 'journey.sop_to_workflow'));
    assert.ok(list.some((i) => i.intentType === 'my.greet'));
    const shown = JSON.parse((await run(bin, ['policy', 'show', '--json'], cwd)).stdout) as { types: { resultType: string; decision: string; layer: string }[] };
    const derived = shown.types.filter((t) => ['workflow', 'visual', 'sop'].includes(t.resultType));
    assert.equal(derived.length, 3, JSON.stringify(shown.types));
    assert.ok(derived.every((t) => t.layer === 'default' && t.decision === 'discard'), JSON.stringify(derived));
    assert.ok(shown.types.every((t) => t.layer === 'default' || t.layer === 'platform'), JSON.stringify(shown.types));
    const validated = JSON.parse((await run(bin, ['policy', 'validate', MVP, '--json'], cwd)).stdout);
    assert.deepEqual([validated.kind, validated.valid, typeof validated.policyVersion], ['solution', true, 'string']);
  });

  test('each works while another process holds the data-dir lock (as `serve` does), with the default data dir and with --data-dir', async () => {
    const cwd = await mkdtemp(join(dir, 'locked-'));
    const dataDir = join(cwd, '.symphainy');
    const lock = await DataDirLock.acquire(dataDir, 0);
    try {
      for (const args of NO_STORE) {
        for (const argv of [args, ['--data-dir', dataDir, ...args]]) {
          // A command that opened the store would wait for the lock and fail with SYM_ERR_DATA_DIR_LOCKED.
          const r = await run(bin, argv, cwd, { SYMPHAINY_DATA_DIR: dataDir });
          assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
        }
      }
      assert.deepEqual((await readdir(dataDir)).sort(), ['lock'], 'the held data dir was not initialized');
    } finally {
      await lock.release();
    }
  });

  test('without --config, policy show describes the active policy of an existing store: under a held lock it says so and names --config', async () => {
    const cwd = await mkdtemp(join(dir, 'active-'));
    const dataDir = join(cwd, '.symphainy');
    const lock = await DataDirLock.acquire(dataDir, 0);
    try {
      await mkdir(join(dataDir, 'db')); // a store exists: its active policy is what runs use
      const r = await run(bin, ['policy', 'show', '--json'], cwd);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error \[SYM_ERR_DATA_DIR_LOCKED\]: .*or describe policy files with --config/);
      assert.equal((await run(bin, ['policy', 'show', '--config', MVP, '--json'], cwd)).code, 0);
    } finally {
      await lock.release();
    }
  });
});

describe('start-up loads only the command being run', { concurrency: true }, () => {
  /** Packages a command needs only when it opens a store, serves HTTP or uses a backend. */
  const HEAVY = /\/node_modules\/(@electric-sql\/pglite|fastify|pino|prom-client|pg|ioredis|nats|@aws-sdk\/[^/]+)\//;
  const HEAVY_SOURCES = /\/src\/(runtime\/create-runtime|db\/pglite\/|db\/pg\/|http\/|metrics\/)/;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-imports-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Every module URL the CLI loads for these arguments (recorded by a loader hook that runs after tsx's). */
  async function loaded(args: string[]): Promise<string[]> {
    const log = join(dir, `${args.join('_').replace(/[^\w-]/g, '')}.log`);
    const script = `const m = await import(${JSON.stringify(join(root, 'src/cli/main.ts'))}); await m.main(['node', 'symphainy', ...${JSON.stringify(args)}]);`;
    const r = await run('--input-type=module', ['-e', script], root, { SYMPHAINY_IMPORT_LOG: log },
      ['--import', 'tsx', '--import', join(root, 'test/cli/fixtures/record-imports.mjs')]);
    assert.equal(r.code, 0, r.stderr);
    return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  }

  for (const args of [['--help'], ['policy', 'validate', MVP], ['intents'], ['run', '--help']]) {
    test(`symphainy ${args.map((a) => a.replace(root, '')).join(' ')} loads no database, HTTP server, logger or backend`, async () => {
      const urls = await loaded(args);
      assert.ok(urls.some((u) => u.includes('/node_modules/commander/')), 'the recorder sees the modules loaded');
      assert.ok(urls.some((u) => u.endsWith('/src/cli/commands/policy.ts')), 'the recorder sees TypeScript sources');
      assert.deepEqual(urls.filter((u) => HEAVY.test(u) || HEAVY_SOURCES.test(u)), []);
    });
  }

  test('the recorder does see a store being opened (the check above can fail)', async () => {
    const dataDir = join(dir, 'data');
    const urls = await loaded(['--data-dir', dataDir, 'tenants', 'list', '--json']);
    assert.ok(urls.some((u) => HEAVY.test(u)), 'tenants list loads the embedded database');
    assert.ok(existsSync(join(dataDir, 'db')));
  });
});

describe('the flags of every command', () => {
  /** Long-running processes: they print a log, not data. */
  const NOT_DATA = new Set(['serve', 'worker', 'mcp']);

  function leaves(cmd: Command, path: string[] = []): [string, Command][] {
    return cmd.commands.flatMap((c) => {
      const p = [...path, c.name()];
      return c.commands.length > 0 ? leaves(c, p) : [[p.join(' '), c] as [string, Command]];
    });
  }
  const program = buildProgram();
  const commands = leaves(program);
  const options = (c: Command) => (c as unknown as { options: Option[] }).options;

  test('the tree has every command (a sanity check of the walk)', () => {
    const names = commands.map(([n]) => n);
    for (const n of ['run', 'intents', 'artifacts get', 'executions show', 'wal list', 'cache get', 'events list', 'tenants list', 'policy show', 'serve']) {
      assert.ok(names.includes(n), n);
    }
  });

  test('every command that prints data takes --json', () => {
    const missing = commands.filter(([name, c]) => !NOT_DATA.has(name) && !options(c).some((o) => o.long === '--json')).map(([n]) => n);
    assert.deepEqual(missing, []);
  });

  test('a flag means one thing everywhere: the same value placeholder on every command, and no command redeclares a global flag', () => {
    const seen = new Map<string, { flags: string; where: string }>();
    const clashes: string[] = [];
    const globals = new Set(options(program).map((o) => o.long));
    for (const [where, c] of [['(global)', program] as [string, Command], ...commands]) {
      for (const o of options(c)) {
        if (!o.long) continue;
        if (where !== '(global)' && globals.has(o.long)) clashes.push(`${where} redeclares global ${o.long}`);
        const first = seen.get(o.long);
        if (!first) seen.set(o.long, { flags: o.flags, where });
        else if (first.flags !== o.flags) clashes.push(`${o.long}: '${first.flags}' (${first.where}) vs '${o.flags}' (${where})`);
      }
    }
    assert.deepEqual(clashes, []);
  });

  test('one spelling per concept: --tenant, --session, --execution, --json, --data-dir, --config (a solution config)', () => {
    // Spellings a command could plausibly use for each concept; only the first is allowed. (`--data` is a signal's data, not a directory.)
    const concepts: [RegExp, string][] = [
      [/^--(tenant|tenant-?id|tenants)$/, '--tenant'],
      [/^--(session|session-?id|sessions)$/, '--session'],
      [/^--(execution|execution-?id|exec|executions)$/, '--execution'],
      [/^--(json|format|output|as-json|out-format)$/, '--json'],
      [/^--(data-?dir|dir|data-directory|store-dir)$/, '--data-dir'],
      [/^--(config|config-file|solution-config|solution-file|policy|policy-file)$/, '--config'],
    ];
    const wrong: string[] = [];
    for (const [where, c] of [['(global)', program] as [string, Command], ...commands]) {
      for (const o of options(c)) {
        if (!o.long) continue;
        const want = concepts.find(([spellings]) => spellings.test(o.long!))?.[1];
        if (want && want !== o.long) wrong.push(`${where}: ${o.long} (use ${want})`);
        if (o.long === '--config' && !/solution config/.test(o.description)) wrong.push(`${where}: --config is not a solution config: ${o.description}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});

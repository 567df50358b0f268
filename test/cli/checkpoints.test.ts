import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { createRuntime, parseSolutionConfig } from '../../src/index.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { silentLogger } from '../support/test-runtime.ts';

// `symphainy checkpoints`: a LangGraph thread's checkpoints listed with their decisions (never their
// content), a decision explained, legal holds placed and released — per tenant, with bad flags named.

const bin = fileURLToPath(new URL('../../bin/symphainy.js', import.meta.url));
const MARKER = 'sealed-channel-value';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `symphainy --data-dir DIR ...` with the data dir's own key store (no KEK or key dir from the caller's environment). */
function cli(dataDir: string, args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '--data-dir', dataDir, ...args], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const json = (r: Run) => {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

/** Asserts a refusal: exit 2, `error [code]: ...` matching `message`, no stack trace. */
function refused(r: Run, code: string, message: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^error \\[${code}\\]: `));
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** Stores `n` checkpoints on a thread (namespace `ns`), each the child of the one before; returns their ids, oldest first. */
async function putChain(saver: SymphainyCheckpointSaver, threadId: string, n: number, ns = ''): Promise<string[]> {
  const ids: string[] = [];
  let config: { configurable: Record<string, unknown> } = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  for (let i = 0; i < n; i++) {
    const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { note: `${MARKER} ${i}` }, channel_versions: { note: i + 1 } };
    config = await saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, { note: i + 1 }) as typeof config;
    ids.push(checkpoint.id);
  }
  return ids;
}

describe('symphainy checkpoints', () => {
  let dir: string;
  let chain: string[];
  let child: string;
  let theirs: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-checkpoints-'));
    const rt = await createRuntime({
      dataDir: dir, logger: silentLogger,
      solutionConfig: parseSolutionConfig({ name: 'graphs', materialization_policy: { checkpoint: { decision: 'persist', retention: '30d', keep_latest: 5 } } }, 'inline'),
    }, { env: {} });
    try {
      const acme = new SymphainyCheckpointSaver(rt, { tenantId: 'acme' });
      chain = await putChain(acme, 'th-1', 2);
      child = (await putChain(acme, 'th-1', 1, 'review:task-1'))[0]!;
      theirs = await putChain(new SymphainyCheckpointSaver(rt, { tenantId: 'globex' }), 'th-1', 1);
      await putChain(new SymphainyCheckpointSaver(rt, { tenantId: 'globex' }), 'only-globex', 1);
    } finally {
      await rt.close();
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('list: newest first with the recorded decision, the hold, no content; JSON and a table', async () => {
    const r = await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', 'th-1', '--json']);
    assert.ok(!r.stdout.includes(MARKER), 'no channel value is printed');
    const thread = json(r);
    assert.equal(thread.threadId, 'th-1');
    assert.equal(thread.legalHold, null);
    assert.deepEqual(thread.checkpoints.map((c: any) => c.checkpointId), [child, chain[1], chain[0]]);
    assert.deepEqual([thread.checkpoints[0].checkpointNs, thread.checkpoints[1].parentCheckpointId], ['review:task-1', chain[0]]);
    assert.deepEqual([thread.checkpoints[1].decision, thread.checkpoints[1].layer], ['persist', 'solution']);
    assert.match(thread.checkpoints[1].reason, /checkpoint: persist \(retention 30d\) \(keep latest 5 per thread\)/);
    assert.equal(json(await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', 'th-1', '--limit', '1', '--json'])).checkpoints.length, 1);

    const table = await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', 'th-1']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^thread th-1 of tenant 'acme': not held\n/);
    for (const id of [child, ...chain]) assert.match(table.stdout, new RegExp(id));
    assert.match(table.stdout, /review:task-1 .* persist +solution +until \d{4}-\d\d-\d\d/);
  });

  test("explain: the recorded decision and every layer's verdict; a subgraph's with --ns", async () => {
    const why = json(await cli(dir, ['checkpoints', 'explain', '--tenant', 'acme', '--thread', 'th-1', '--checkpoint', chain[1]!, '--json']));
    assert.deepEqual([why.checkpointId, why.recorded.decision, why.recorded.keepLatest], [chain[1], 'persist', 5]);
    assert.equal(why.chain.length, 5);
    const text = await cli(dir, ['checkpoints', 'explain', '--tenant', 'acme', '--thread', 'th-1', '--checkpoint', child, '--ns', 'review:task-1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^checkpoint ${child} \\(review:task-1\\) of thread th-1 -> persist by solution, policy sha256:`));
    assert.match(text.stdout, /\n\* solution +persist /);
    assert.match(text.stdout, /\n {2}reason: solution config 'graphs' \(inline\) sets checkpoint: persist/);
    refused(await cli(dir, ['checkpoints', 'explain', '--tenant', 'acme', '--thread', 'th-1', '--checkpoint', child]), 'SYM_ERR_NOT_FOUND',
      new RegExp(`no decision is recorded for checkpoint '${child}' of thread 'th-1'`));
  });

  test("hold and release: recorded in the WAL and shown by list; another tenant's thread of the same id is untouched", async () => {
    const held = json(await cli(dir, ['checkpoints', 'hold', '--tenant', 'acme', '--thread', 'th-1', '--reason', 'case 9', '--json']));
    assert.equal(held.legalHold.reason, 'case 9');
    const text = await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', 'th-1']);
    assert.match(text.stdout, /^thread th-1 of tenant 'acme': held since \S+: case 9\n/);
    const globex = json(await cli(dir, ['checkpoints', 'list', '--tenant', 'globex', '--thread', 'th-1', '--json']));
    assert.equal(globex.legalHold, null);
    assert.deepEqual(globex.checkpoints.map((c: any) => c.checkpointId), theirs);

    const released = await cli(dir, ['checkpoints', 'release', '--tenant', 'acme', '--thread', 'th-1']);
    assert.equal(released.code, 0, released.stderr);
    assert.equal(released.stdout, "thread th-1 of tenant 'acme' is no longer held\n");
    refused(await cli(dir, ['checkpoints', 'release', '--tenant', 'acme', '--thread', 'th-1']), 'SYM_ERR_CONFLICT', /thread 'th-1' has no legal hold to release/);
    const records = json(await cli(dir, ['wal', 'list', '--tenant', 'acme', '--type', 'legal_hold', '--json']));
    assert.deepEqual(records.map((r: any) => r.payload), [{ threadId: 'th-1', action: 'hold', reason: 'case 9' }, { threadId: 'th-1', action: 'release' }]);
    refused(await cli(dir, ['checkpoints', 'hold', '--tenant', 'acme', '--thread', 'only-globex', '--reason', 'x']), 'SYM_ERR_NOT_FOUND',
      /thread 'only-globex' not found \(tenant 'acme' has no checkpoints, writes or legal hold for it\)/);
  });

  test('bad input: the flag is named, exit code 2, no stack trace', async () => {
    refused(await cli(dir, ['checkpoints', 'list', '--tenant', 'acme']), 'SYM_ERR_CONFIG', /required option '--thread <id>' not specified/);
    refused(await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', '../x']), 'SYM_ERR_CONFIG', /checkpoints list: --thread must be a thread id/);
    refused(await cli(dir, ['checkpoints', 'list', '--tenant', 'symphainy:x', '--thread', 'th-1']), 'SYM_ERR_CONFIG', /--tenant: tenant id "symphainy:x" is not a valid id/);
    refused(await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', 'th-1', '--limit', '0']), 'SYM_ERR_CONFIG', /--limit must be a whole number/);
    refused(await cli(dir, ['checkpoints', 'list', '--tenant', 'ghost', '--thread', 'th-1']), 'SYM_ERR_CONFIG', /checkpoints list: tenant 'ghost' is not known to this store/);
    refused(await cli(dir, ['checkpoints', 'list', '--tenant', 'acme', '--thread', 'nope']), 'SYM_ERR_NOT_FOUND', /thread 'nope' not found/);
    refused(await cli(join(dir, 'missing'), ['checkpoints', 'release', '--tenant', 'acme', '--thread', 'th-1']), 'SYM_ERR_CONFIG',
      /checkpoints release: the data dir .*missing does not exist/);
    refused(await cli(dir, ['checkpoints', 'hold', '--tenant', 'acme', '--thread', 'th-1', '--reason', '  ']), 'SYM_ERR_CONFIG', /--reason must be 1 to 500 characters/);
    refused(await cli(dir, ['checkpoints', 'hold', '--tenant', 'acme', '--thread', 'th-1']), 'SYM_ERR_CONFIG', /required option '--reason <text>' not specified/);
    refused(await cli(dir, ['checkpoints', 'explain', '--tenant', 'acme', '--thread', 'th-1', '--checkpoint', '']), 'SYM_ERR_CONFIG', /--checkpoint must not be empty/);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Annotation, Command, END, INTERRUPT, START, StateGraph, interrupt } from '@langchain/langgraph';
import { createRuntime, parseSolutionConfig, type Runtime, type RuntimeOptions } from '../../src/index.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { freshServerDb, silentLogger, TEST_DRIVER, type ServerTestDb } from '../support/test-runtime.ts';

// A real LangGraph StateGraph with a human-in-the-loop interrupt, checkpointed by the runtime's
// store: it stops at the interrupt, the runtime is closed and opened again (a restart), and the
// graph resumes from the stored checkpoint with its state intact.

const policy = parseSolutionConfig({ materialization_policy: { checkpoint: { decision: 'persist', keep_latest: 10 } } });

let dataDir = '';
let server: ServerTestDb | undefined;

/** A runtime over the same store each time: an embedded data dir, or a server database. */
function open(): Promise<Runtime> {
  const where: RuntimeOptions = TEST_DRIVER === 'postgres' ? { databaseUrl: server!.url } : { dataDir };
  return createRuntime({ ...where, solutionConfig: policy, logger: silentLogger });
}

before(async () => {
  if (TEST_DRIVER === 'postgres') server = await freshServerDb();
  else dataDir = await mkdtemp(join(tmpdir(), 'symphainy-langgraph-'));
});
after(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const State = Annotation.Root({
  topic: Annotation<string>(),
  draft: Annotation<string>(),
  verdict: Annotation<string>(),
  log: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
});

function reviewGraph(saver: SymphainyCheckpointSaver) {
  return new StateGraph(State)
    .addNode('write', (s) => ({ draft: `A post about ${s.topic}`, log: ['write'] }))
    .addNode('review', (s) => {
      const answer = interrupt({ question: 'publish this draft?', draft: s.draft }) as string;
      return { verdict: answer === 'yes' ? 'published' : 'rejected', log: ['review'] };
    })
    .addEdge(START, 'write')
    .addEdge('write', 'review')
    .addEdge('review', END)
    .compile({ checkpointer: saver });
}

test('a StateGraph stops at an interrupt, survives a restart of the runtime, and resumes from its checkpoint', async () => {
  const config = { configurable: { thread_id: 'post-1' } };

  const first = await open();
  try {
    const graph = reviewGraph(new SymphainyCheckpointSaver(first, { tenantId: 'acme' }));
    const stopped = (await graph.invoke({ topic: 'tides' }, config)) as Record<string, unknown>;
    const interrupts = stopped[INTERRUPT] as { value: { question: string; draft: string } }[];
    assert.equal(interrupts.length, 1);
    assert.deepEqual(interrupts[0]!.value, { question: 'publish this draft?', draft: 'A post about tides' });
    assert.equal(stopped.verdict, undefined);
  } finally {
    await first.close();
  }

  const second = await open();
  try {
    const saver = new SymphainyCheckpointSaver(second, { tenantId: 'acme' });
    const graph = reviewGraph(saver);
    const waiting = await graph.getState(config);
    assert.deepEqual(waiting.next, ['review']);
    assert.equal(waiting.values.draft, 'A post about tides');

    const done = await graph.invoke(new Command({ resume: 'yes' }), config);
    assert.equal(done.verdict, 'published');
    assert.equal(done.draft, 'A post about tides');
    assert.deepEqual(done.log, ['write', 'review']);
    assert.deepEqual((await graph.getState(config)).next, []);

    // Every checkpoint was decided by the policy and recorded; the saver kept them for this tenant only.
    const history = [];
    for await (const s of graph.getStateHistory(config)) history.push(s);
    assert.ok(history.length >= 4, `history has ${history.length} checkpoints`);
    const decisions = (await second.listWal({ tenantId: 'acme', recordType: 'governance_decision' }))
      .filter((r) => r.payload.kind === 'checkpoint');
    assert.equal(decisions.length, history.length);
    assert.ok(decisions.every((r) => r.payload.decision === 'persist' && r.payload.layer === 'solution' && r.payload.keepLatest === 10));
    const other = new SymphainyCheckpointSaver(second, { tenantId: 'globex' });
    assert.equal(await other.getTuple(config), undefined);
  } finally {
    await second.close();
  }
});

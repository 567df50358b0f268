import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { convertArrayToReadableStream, MockLanguageModelV3 } from 'ai/test';
import { generateTextStep, streamTextStep, type AiContext, type StepRunner } from '../../src/ai/index.ts';
import { defineRealm, type ExecutionContext } from '../../src/index.ts';
import { parsePlatformPolicy } from '../../src/policy/platform-policy.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
});
const stop = { unified: 'stop' as const, raw: 'stop' };

/** A model that answers `text` (in one piece, or as `deltas` when streamed), reporting 12 input and 5 output tokens. */
function mockModel(text: string, deltas: string[] = [text]) {
  return new MockLanguageModelV3({
    modelId: 'mock-writer',
    doGenerate: async () => ({ content: [{ type: 'text', text }], finishReason: stop, usage: usage(12, 5), warnings: [] }),
    doStream: async () => ({
      stream: convertArrayToReadableStream([
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
        ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't', delta })),
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: stop, usage: usage(12, 5) },
      ]),
    }),
  });
}

const pricing = { inputPerMillionUsd: 1_000, outputPerMillionUsd: 2_000 };

test('generateTextStep: the text, and the usage recorded (priced); through ctx.step when the context has one', async () => {
  const recorded: unknown[] = [];
  const steps: string[] = [];
  const step: StepRunner = async (name, fn) => {
    steps.push(name);
    return fn();
  };
  const ctx: AiContext = { recordUsage: async (u) => void recorded.push(u), emit: async () => assert.fail('nothing streams'), step };
  const r = await generateTextStep(ctx, 'draft', { model: mockModel('A short post.'), prompt: 'write' }, { pricing });
  assert.equal(r.text, 'A short post.');
  assert.equal(r.finishReason, 'stop');
  assert.deepEqual(r.usage, { model: 'mock-writer', inputTokens: 12, outputTokens: 5, costUsd: 0.022 });
  assert.deepEqual(recorded, [r.usage]);
  assert.deepEqual(steps, ['draft']);
});

test('streamTextStep: each delta to ctx.emit, in order; no cost without prices', async () => {
  const emitted: unknown[] = [];
  const recorded: unknown[] = [];
  const ctx: AiContext = { recordUsage: async (u) => void recorded.push(u), emit: async (c) => void emitted.push(c) };
  const r = await streamTextStep(ctx, 'draft', { model: mockModel('', ['Hel', 'lo', ' world']), prompt: 'write' }, { model: 'writer-v1' });
  assert.deepEqual(emitted, ['Hel', 'lo', ' world']);
  assert.equal(r.text, 'Hello world');
  assert.deepEqual(recorded, [{ model: 'writer-v1', inputTokens: 12, outputTokens: 5 }]);
});

describe('in a runtime: usage stored, the budget applies, the stream readable while it runs', () => {
  let t: TestRuntime;
  const seen: string[][] = [];
  const realm = defineRealm({
    name: 'writer',
    intents: {
      post: {
        handler: async (params: unknown, ctx: ExecutionContext) => {
          const times = (params as { times: number }).times;
          for (let i = 0; i < times; i++) {
            await streamTextStep(ctx, `part-${i}`, { model: mockModel('', ['one ', 'two']), prompt: 'p' }, { pricing });
            seen.push((await t.runtime.modelWork.streamChunks(ctx.tenantId, ctx.executionId)).map((c) => c.chunk as string));
          }
          return { artifacts: { post: { resultType: 'sop', renderings: { markdown: 'one two' } } } };
        },
      },
    },
  });
  before(async () => {
    t = await testRuntime({
      realms: [realm],
      platformPolicy: parsePlatformPolicy({ budgets: [{ id: 'writer-cap', match: { intent_type: 'writer.*' }, per_execution: { max_tokens: 40 } }] }),
    });
  });
  after(() => t.close());

  test('two calls fit the budget; three do not', async () => {
    const ok = await t.runtime.execute({ intentType: 'writer.post', tenantId: 'acme', sessionId: 's', parameters: { times: 2 } });
    assert.equal(ok.status, 'completed');
    assert.deepEqual(seen[1], ['one ', 'two', 'one ', 'two']);
    const u = await t.runtime.modelWork.usage('acme', { executionId: ok.executionId });
    assert.deepEqual(u.totals, { inputTokens: 24, outputTokens: 10, totalTokens: 34, costUsd: 0.044, calls: 2 });

    const over = await t.runtime.execute({ intentType: 'writer.post', tenantId: 'acme', sessionId: 's', parameters: { times: 3 } });
    assert.equal(over.status, 'failed');
    assert.equal(over.error?.code, 'SYM_ERR_BUDGET');
    assert.match(over.error!.message, /budget 'writer-cap' per_execution.max_tokens \(40\) exceeded: 51 tokens used/);
  });
});

import type { CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import { parseSolutionConfig } from '../../src/index.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { testRuntime, type TestRuntime } from './test-runtime.ts';

/** The metadata of a first loop step, as LangGraph writes it. */
export const META: CheckpointMetadata = { source: 'loop', step: 0, parents: {} };

/** Runs `fn` with a saver for tenant `acme` over a fresh runtime whose policy persists checkpoints; closes it after. */
export async function withSaver(fn: (saver: SymphainyCheckpointSaver, t: TestRuntime) => Promise<void>): Promise<void> {
  const t = await testRuntime({ solutionConfig: parseSolutionConfig({ materialization_policy: { checkpoint: 'persist' } }) });
  try {
    await fn(new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' }), t);
  } finally {
    await t.close();
  }
}

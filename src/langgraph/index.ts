/**
 * `symphainy/langgraph`: a LangGraph checkpoint saver over the runtime's
 * store (`@langchain/langgraph-checkpoint`, an optional peer dependency
 * loaded only by this entry). Checkpoints are governed content: the
 * materialization policy decides each under result type `checkpoint`, legal
 * holds work per thread, and the retention sweep and erasure reach them.
 *
 * ```ts
 * import { createRuntime } from 'symphainy';
 * import { SymphainyCheckpointSaver } from 'symphainy/langgraph';
 * const runtime = await createRuntime({ solutionConfig: 'policy.yaml' }); // names `checkpoint`
 * const graph = builder.compile({ checkpointer: new SymphainyCheckpointSaver(runtime, { tenantId: 'acme' }) });
 * ```
 */
export {
  SymphainyCheckpointSaver,
  type CheckpointRuntime,
  type RunnableConfig,
  type SymphainyCheckpointSaverOptions,
} from './checkpoint-saver.ts';
export type { CheckpointDecisionExplanation, TenantCheckpoints } from '../checkpoints/checkpoint-governance.ts';

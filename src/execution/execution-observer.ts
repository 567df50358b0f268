import type { ExecutionResult } from './execution-result.ts';

/** The stages of an execution that are timed: record (transaction), realm handler, materialize (policy + blobs), complete (transaction). */
export type ExecutionStage = 'record' | 'realm' | 'materialize' | 'complete';

/**
 * Told what the lifecycle manager does, for metrics. Called synchronously on
 * the execution's path: implementations only count and must not throw.
 */
export interface ExecutionObserver {
  stage(stage: ExecutionStage, ms: number): void;
  /** An execution this process ran reached `completed` or `failed`. */
  finished(result: ExecutionResult): void;
}

/**
 * Named points in the write path where tests inject a crash or a pause (as
 * DBOS's debug triggers do), e.g. to prove that nothing is published or
 * half-written when a commit fails. Passed as `createRuntime({ faults })`;
 * never set in production.
 */
export const FaultPoint = {
  /** Inside the start transaction, after its writes, before commit. */
  BEFORE_START_COMMIT: 'beforeStartCommit',
  /** After the realm returned and artifacts were stored, before the completion transaction. */
  BEFORE_COMPLETE: 'beforeComplete',
  /** Inside the completion transaction, after its writes, before commit. */
  BEFORE_COMPLETE_COMMIT: 'beforeCompleteCommit',
} as const;
export type FaultPoint = (typeof FaultPoint)[keyof typeof FaultPoint];

export type Faults = Partial<Record<FaultPoint, () => void | Promise<void>>>;

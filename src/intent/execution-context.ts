/**
 * What a realm handler knows about the execution it runs in. It carries ids
 * and a cancellation signal — deliberately no storage handle: realms return
 * results, and the runtime decides what is kept.
 */
export interface ExecutionContext {
  readonly executionId: string;
  readonly intentId: string;
  readonly intentType: string;
  readonly tenantId: string;
  readonly sessionId: string;
  /** Name of the realm whose handler runs. */
  readonly realm: string;
  /** Aborted when the handler's timeout passes or the runtime shuts down. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds after which the runtime stops waiting for the handler. */
  readonly deadline: number;
}

import type { Envelope } from './envelope.ts';
import type { Cover, SubjectRef } from './scope.ts';

/**
 * What a writer needs to seal tenant content at rest: the envelope, and the
 * subject parameter names each tenant's platform policy declares
 * (`subjects: [customer_id]`). The runtime builds one per store and hands it
 * to every writer of tenant content; a writer given none stores plaintext
 * (encryption off).
 */
export interface ContentCipher {
  readonly envelope: Envelope;
  /** Declared subject parameter names for the tenant (empty when none). */
  subjectNames(tenantId: string): readonly string[];
}

/** The parts of an execution its cover is computed from. */
export interface CoveredExecution {
  readonly tenantId: string;
  readonly sessionId?: string | null;
  readonly parameters?: unknown;
}

/**
 * The cover of content produced by or for one execution: its tenant, its
 * session (when it has one), and each declared subject parameter present at
 * the top level of its intent parameters. A subject value is a string or a
 * finite number (as its decimal text); other values (objects, booleans, empty
 * strings) do not name a subject and add no scope.
 */
export function executionCover(cipher: ContentCipher, execution: CoveredExecution): Cover {
  const subjects: SubjectRef[] = [];
  const params = execution.parameters;
  if (params !== null && typeof params === 'object' && !Array.isArray(params)) {
    for (const name of cipher.subjectNames(execution.tenantId)) {
      const value = (params as Record<string, unknown>)[name];
      if (typeof value === 'string' && value !== '') subjects.push({ name, value });
      else if (typeof value === 'number' && Number.isFinite(value)) subjects.push({ name, value: String(value) });
    }
  }
  return {
    tenantId: execution.tenantId,
    ...(execution.sessionId ? { sessionId: execution.sessionId } : {}),
    ...(subjects.length > 0 ? { subjects } : {}),
  };
}

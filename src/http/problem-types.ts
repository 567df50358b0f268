/**
 * The one table from error code to HTTP answer. Every problem document the
 * server sends (problem.ts) takes its status and title from here, so a code
 * cannot go out with two statuses. It holds every error class's code (with
 * that class's `statusCode`; test/errors checks they agree and that
 * docs/errors.md gives each row the same status) and the codes only the HTTP
 * server answers with, for requests refused before any route runs.
 *
 * Statuses have their RFC 9110 meaning: 413 only for a request's own content,
 * 414 for its path, 431 for its headers, 415 for its media type, 408 for a
 * request that did not arrive in time.
 */
export interface ProblemType {
  /** The HTTP status every answer with this code has. */
  readonly status: number;
  /** RFC 9457 `title`: the same for every occurrence of the code. */
  readonly title: string;
}

export const PROBLEM_TYPES = {
  // Runtime errors (src/errors/errors.ts), by status.
  SYM_ERR_INVALID_REQUEST: { status: 400, title: 'Invalid request' },
  SYM_ERR_INVALID_INTENT: { status: 400, title: 'Invalid intent' },
  SYM_ERR_POLICY_CONFIG: { status: 400, title: 'Invalid policy' },
  SYM_ERR_REALM_DEFINITION: { status: 400, title: 'Invalid realm definition' },
  SYM_ERR_CONFIG: { status: 400, title: 'Invalid configuration' },
  SYM_ERR_UNAUTHORIZED: { status: 401, title: 'Missing or invalid API key' },
  SYM_ERR_FORBIDDEN: { status: 403, title: 'Not allowed with this key' },
  SYM_ERR_RENDERING_TOO_LARGE: { status: 403, title: 'Rendering larger than the server serves' },
  SYM_ERR_UNKNOWN_INTENT: { status: 404, title: 'Unknown intent type' },
  SYM_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  SYM_ERR_DUPLICATE_INTENT: { status: 409, title: 'Intent id in use' },
  SYM_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  SYM_ERR_LIMIT: { status: 413, title: 'Request content over a limit' },
  SYM_ERR_INTERRUPTED: { status: 500, title: 'Execution interrupted' },
  SYM_ERR_MISSING_PACKAGE: { status: 500, title: 'Optional package not installed' },
  SYM_ERR_ATTEMPTS_EXHAUSTED: { status: 500, title: 'Retry attempts exhausted' },
  SYM_ERR_BUDGET: { status: 402, title: 'Model budget used up' },
  SYM_ERR_INVALID_USAGE: { status: 400, title: 'Invalid model usage or stream chunk' },
  SYM_ERR_STEP_SEQUENCE: { status: 500, title: 'Step sequence changed' },
  SYM_ERR_APPROVAL_TIMEOUT: { status: 500, title: 'Approval timed out' },
  SYM_ERR_KEY_DESTROYED: { status: 410, title: 'Content erased (data key destroyed)' },
  SYM_ERR_DECRYPT: { status: 500, title: 'Cannot decrypt stored content' },
  SYM_ERR_KEY_UNAVAILABLE: { status: 503, title: 'Data key unavailable' },
  SYM_ERR_REALM_FAILED: { status: 502, title: 'Realm handler failed' },
  SYM_ERR_REALM_RESULT: { status: 502, title: 'Invalid realm result' },
  SYM_ERR_NON_RETRYABLE: { status: 502, title: 'Realm handler failed (not retryable)' },
  SYM_ERR_DATA_DIR_LOCKED: { status: 503, title: 'Data directory locked' },
  SYM_ERR_STORE: { status: 503, title: 'Store unavailable' },
  SYM_ERR_ARTIFACT_STORAGE: { status: 503, title: 'Artifact storage unavailable' },
  SYM_ERR_RUNTIME_CLOSED: { status: 503, title: 'Runtime closed' },
  SYM_ERR_REALM_TIMEOUT: { status: 504, title: 'Realm handler timed out' },
  SYM_ERR_WAIT_TIMEOUT: { status: 504, title: 'Wait timed out' },

  // Answered by the HTTP server only (no error class): requests refused before a route runs, and its own failures.
  SYM_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  SYM_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  SYM_ERR_URI_TOO_LONG: { status: 414, title: 'Path too long' },
  SYM_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Body not JSON' },
  SYM_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Headers too large' },
  SYM_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  SYM_ERR_SHUTTING_DOWN: { status: 503, title: 'Server shutting down' },
} as const satisfies Record<`SYM_ERR_${string}`, ProblemType>;

/** A code the HTTP API answers with. */
export type ProblemCode = keyof typeof PROBLEM_TYPES;

/** True when the table has this code. */
export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_TYPES, code);
}

/** RFC 9457 `type`: a URI per code, stable (codes are never reused). */
export function problemTypeUri(code: ProblemCode): string {
  return `urn:symphainy:error:${code}`;
}

/** The codes answered with `status`, in table order. */
export function codesWithStatus(status: number): ProblemCode[] {
  return (Object.keys(PROBLEM_TYPES) as ProblemCode[]).filter((c) => PROBLEM_TYPES[c].status === status);
}

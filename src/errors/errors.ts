import { SymphainyError, type ErrorIssue } from './symphainy-error.ts';

/** Thrown when an intent names a type no registered realm handles. */
export class UnknownIntentError extends SymphainyError {
  readonly code = 'SYM_ERR_UNKNOWN_INTENT';
  readonly statusCode = 404;
  constructor(
    readonly intentType: string,
    known: readonly string[],
  ) {
    super(
      `unknown intent type '${intentType}'` +
        (known.length ? ` (known: ${known.join(', ')})` : ' (no realm is registered)'),
    );
  }
}

/** Thrown when an intent's envelope or parameters fail validation; `issues` name each field. */
export class InvalidIntentError extends SymphainyError {
  readonly code = 'SYM_ERR_INVALID_INTENT';
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * Thrown when a policy (solution config) file or object is invalid; the
 * message names file, line, key and value. `issues` name the request fields
 * when the policy came in a request body (the HTTP API's problem documents).
 */
export class PolicyConfigError extends SymphainyError {
  readonly code = 'SYM_ERR_POLICY_CONFIG';
  readonly statusCode = 400;
  readonly issues: readonly ErrorIssue[];
  constructor(
    message: string,
    readonly file?: string,
    options?: { cause?: unknown; issues?: readonly ErrorIssue[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.issues = options?.issues ?? [];
  }
}

/** Thrown when a realm definition or realm module is invalid or cannot be loaded. */
export class RealmDefinitionError extends SymphainyError {
  readonly code = 'SYM_ERR_REALM_DEFINITION';
  readonly statusCode = 400;
}

/** Recorded (not thrown to callers) when a realm handler throws. */
export class RealmHandlerError extends SymphainyError {
  readonly code = 'SYM_ERR_REALM_FAILED';
  readonly statusCode = 502;
}

/** Waiting for something (e.g. a queued execution to finish) took longer than the caller allowed. */
export class WaitTimeoutError extends SymphainyError {
  readonly code = 'SYM_ERR_WAIT_TIMEOUT';
  readonly statusCode = 504;
}

/** Recorded when a realm handler does not settle within its timeout. */
export class RealmTimeoutError extends SymphainyError {
  readonly code = 'SYM_ERR_REALM_TIMEOUT';
  readonly statusCode = 504;
  constructor(
    readonly intentType: string,
    readonly timeoutMs: number,
  ) {
    super(`realm handler for '${intentType}' did not finish within ${timeoutMs} ms`);
  }
}

/** Recorded when a realm returns something that is not a result (see the Realm SDK). */
export class InvalidRealmResultError extends SymphainyError {
  readonly code = 'SYM_ERR_REALM_RESULT';
  readonly statusCode = 502;
}

/** Recorded for an execution that was running when its process stopped. */
export class ExecutionInterruptedError extends SymphainyError {
  readonly code = 'SYM_ERR_INTERRUPTED';
  readonly statusCode = 500;
}

/** Thrown when a requested record does not exist for the caller's tenant (another tenant's looks the same). */
export class NotFoundError extends SymphainyError {
  readonly code = 'SYM_ERR_NOT_FOUND';
  readonly statusCode = 404;
  constructor(
    readonly kind: string,
    readonly id: string,
    hint?: string,
  ) {
    super(`${kind} '${id}' not found${hint ? ` (${hint})` : ''}`);
  }
}

/** Thrown for invalid runtime, CLI or store options (bad data dir, bad URL, bad number). */
export class ConfigError extends SymphainyError {
  readonly code = 'SYM_ERR_CONFIG';
  readonly statusCode = 400;
}

/** Thrown when the data directory is held by another process for longer than the wait. */
export class DataDirLockedError extends SymphainyError {
  readonly code = 'SYM_ERR_DATA_DIR_LOCKED';
  readonly statusCode = 503;
}

/** Thrown when the store cannot be opened or a write to it fails. */
export class StoreError extends SymphainyError {
  readonly code = 'SYM_ERR_STORE';
  readonly statusCode = 503;
}

/** Thrown (and recorded as `storageError`) when an artifact blob cannot be written or read. */
export class ArtifactStorageError extends SymphainyError {
  readonly code = 'SYM_ERR_ARTIFACT_STORAGE';
  readonly statusCode = 503;
}

/** Thrown after the runtime was closed. */
export class RuntimeClosedError extends SymphainyError {
  readonly code = 'SYM_ERR_RUNTIME_CLOSED';
  readonly statusCode = 503;
  constructor() {
    super('the runtime is closed');
  }
}

/**
 * Thrown when a tenant reuses an intent id whose execution is still running,
 * or for another intent (type, parameters, session or solution: `issues`
 * names the field that differs).
 */
export class DuplicateIntentError extends SymphainyError {
  readonly code = 'SYM_ERR_DUPLICATE_INTENT';
  readonly statusCode = 409;
  readonly issues: readonly { path: string; message: string }[];
  /** `then`: what the caller can do, by default use another intent id. */
  constructor(
    readonly intentId: string,
    why = 'was already submitted',
    field?: string,
    then = 'use a new intentId',
  ) {
    super(`intent '${intentId}' ${why}; ${then}`);
    this.issues = field ? [{ path: field, message: `differs from the first use of intent id '${intentId}'` }] : [];
  }
}

/** Thrown when a request (HTTP query, header, path or body, or an API call's input) is malformed; `issues` name each field and where it was. */
export class InvalidRequestError extends SymphainyError {
  readonly code = 'SYM_ERR_INVALID_REQUEST';
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
  }
}

/** Thrown when something to create already exists (e.g. a tenant id). */
export class ConflictError extends SymphainyError {
  readonly code = 'SYM_ERR_CONFLICT';
  readonly statusCode = 409;
}

/** An HTTP request without a valid API key (missing, malformed, unknown or revoked); `issues` name the header. */
export class UnauthorizedError extends SymphainyError {
  readonly code = 'SYM_ERR_UNAUTHORIZED';
  readonly statusCode = 401;
  constructor(
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
  }
}

/** An HTTP request whose key may not do this (a tenant key on an admin route, or the admin key on a tenant route). */
export class ForbiddenError extends SymphainyError {
  readonly code = 'SYM_ERR_FORBIDDEN';
  readonly statusCode = 403;
  constructor(
    message: string,
    /** The header to change (`Authorization`, `Symphainy-Tenant`), when one is. */
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
  }
}

/** A request's content exceeds a configured limit (body bytes, parameter nesting depth); `issues` name the field. */
export class LimitExceededError extends SymphainyError {
  readonly code = 'SYM_ERR_LIMIT';
  readonly statusCode = 413;
  constructor(
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
  }
}

/**
 * A rendering is larger than the server serves (`limits.rendering`). The
 * request is fine and the rendering exists; the server refuses to send it
 * (RFC 9110 403: understood, refused; 413 is for a request's own content).
 */
export class RenderingTooLargeError extends SymphainyError {
  readonly code = 'SYM_ERR_RENDERING_TOO_LARGE';
  readonly statusCode = 403;
}

/** An optional backend is asked for (a `postgres://` URL, `s3://` artifacts, a `redis://` cache, `nats://` events) but its package is not installed. */
export class MissingPackageError extends SymphainyError {
  readonly code = 'SYM_ERR_MISSING_PACKAGE';
  readonly statusCode = 500;
  /** The packages to install, e.g. `['pg']`. */
  readonly packages: readonly string[];
  constructor(packages: string | readonly string[], purpose: string, options?: { cause?: unknown }) {
    const names = typeof packages === 'string' ? [packages] : [...packages];
    super(
      `${purpose} needs the optional package${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(' and ')}, ` +
        `which ${names.length > 1 ? 'are' : 'is'} not installed: npm install ${names.join(' ')}`,
      options,
    );
    this.packages = names;
  }
}

/**
 * Thrown by a realm handler to end its execution at once: no retry under
 * any retry policy (Temporal's `ApplicationFailure.nonRetryable`). Recorded
 * as the execution's failure; `type` is the realm's own classification.
 */
export class NonRetryableError extends SymphainyError {
  readonly code = 'SYM_ERR_NON_RETRYABLE';
  readonly statusCode = 502;
  constructor(
    message: string,
    options?: { cause?: unknown; type?: string },
  ) {
    super(options?.type ? `${options.type}: ${message}` : message, options);
  }
}

/** Recorded on a `dead` execution: its retry policy's attempts were used up (the WAL holds every attempt). */
export class AttemptsExhaustedError extends SymphainyError {
  readonly code = 'SYM_ERR_ATTEMPTS_EXHAUSTED';
  readonly statusCode = 500;
}

/**
 * Thrown when content is opened whose data key was destroyed (erasure by key
 * destruction): the content is gone for good. `keyId` names the key, `record`
 * the record being read when known.
 */
export class KeyDestroyedError extends SymphainyError {
  readonly code = 'SYM_ERR_KEY_DESTROYED';
  readonly statusCode = 410;
  readonly record: string | undefined;
  constructor(
    readonly keyId: string,
    record?: string,
  ) {
    super(`data key '${keyId}' was destroyed (erased)${typeof record === 'string' ? `; record '${record}' can no longer be read` : ''}`);
    this.record = typeof record === 'string' ? record : undefined;
  }
}

/**
 * Thrown when a sealed value cannot be opened: malformed, tampered with, or
 * sealed for another record (associated data differs). The message names
 * the key ids and the record.
 */
export class DecryptError extends SymphainyError {
  readonly code = 'SYM_ERR_DECRYPT';
  readonly statusCode = 500;
}

/**
 * Thrown when a data key exists in name but cannot be used: its file is
 * missing without a destruction record, or the key-encryption key (file,
 * env var or KMS key) cannot unwrap it. The message names the key and KEK.
 */
export class KeyUnavailableError extends SymphainyError {
  readonly code = 'SYM_ERR_KEY_UNAVAILABLE';
  readonly statusCode = 503;
}

/**
 * A model budget of the platform policy is used up: thrown by `ctx.recordUsage`
 * and before a step, and recorded as the execution's failure (never retried).
 * The WAL holds the `governance_decision` naming the rule.
 */
export class BudgetExceededError extends SymphainyError {
  readonly code = 'SYM_ERR_BUDGET';
  readonly statusCode = 402;
  /** The budget rule's id, e.g. `acme-drafts`. */
  readonly ruleId: string;
  constructor(ruleId: string, message: string) {
    super(message);
    this.ruleId = ruleId;
  }
}

/** `ctx.recordUsage` or `ctx.emit` was given something it cannot record; the message names the field. */
export class InvalidUsageError extends SymphainyError {
  readonly code = 'SYM_ERR_INVALID_USAGE';
  readonly statusCode = 400;
}

/**
 * A durable step (or wait) of a resumed handler does not match the one its
 * journal recorded at that position: the handler's step sequence changed
 * between attempts (new code, or a branch on something not journaled).
 */
export class StepSequenceError extends SymphainyError {
  readonly code = 'SYM_ERR_STEP_SEQUENCE';
  readonly statusCode = 500;
}

/** An approval (`ctx.approval(…, { onTimeout: 'fail' })`) was neither approved nor rejected in time. */
export class ApprovalTimeoutError extends SymphainyError {
  readonly code = 'SYM_ERR_APPROVAL_TIMEOUT';
  readonly statusCode = 500;
}

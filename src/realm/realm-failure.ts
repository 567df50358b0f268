import { isSymphainyError, RealmHandlerError } from '../errors/index.ts';
import { escapeUnstorable } from './storable.ts';

/** A failure as executions record it (result, state row, WAL, `execution.failed` event). */
export interface RecordedFailure {
  readonly code: string;
  readonly message: string;
}

/** Longest failure message recorded, in UTF-16 code units; the rest is cut with a note of how much. @default 8192 */
export const MAX_FAILURE_MESSAGE = 8192;

const CODE = /^SYM_ERR_[A-Z0-9_]{1,64}$/;

/**
 * What a handler (or anything after it) threw, as a failure that can always
 * be recorded: a SymphainyError keeps its code when the code is a well-formed
 * `SYM_ERR_*` code; anything else becomes SYM_ERR_REALM_FAILED with the thrown
 * value's message. The message is made storable ({@link storableFailure}).
 * Never throws, whatever was thrown (getters that throw, objects without a
 * prototype, symbols).
 */
export function failureOf(err: unknown, intentType: string): RecordedFailure {
  try {
    if (isSymphainyError(err) && CODE.test(err.code)) return storableFailure({ code: err.code, message: messageOf(err) });
  } catch {
    /* a getter threw: described below */
  }
  const wrapped = new RealmHandlerError(`realm handler for '${intentType}' failed: ${messageOf(err)}`);
  return storableFailure({ code: wrapped.code, message: wrapped.message });
}

/**
 * `failure` as it can be stored: NUL and unpaired surrogates escaped (see
 * `storable.ts`), the message cut at {@link MAX_FAILURE_MESSAGE}, a code that
 * is not a `SYM_ERR_*` code replaced by SYM_ERR_REALM_FAILED (its text kept
 * in the message). Recording a failure is the last thing that must not fail.
 */
export function storableFailure(failure: { code: unknown; message: unknown }): RecordedFailure {
  let message = escapeUnstorable(typeof failure.message === 'string' ? failure.message : safeString(failure.message));
  let code = typeof failure.code === 'string' ? failure.code : '';
  if (!CODE.test(code)) {
    message = `${message} (code ${escapeUnstorable(JSON.stringify(code) ?? 'none')})`;
    code = 'SYM_ERR_REALM_FAILED';
  }
  if (message.length > MAX_FAILURE_MESSAGE) {
    // Cut between code units of a pair would leave a lone surrogate: step back one.
    let end = MAX_FAILURE_MESSAGE;
    if (/[\ud800-\udbff]/.test(message[end - 1]!)) end--;
    message = `${message.slice(0, end)}… (${message.length - end} more characters)`;
  }
  return { code, message };
}

/** The thrown value's message: an Error's `message`, else its string form; never throws. */
function messageOf(err: unknown): string {
  try {
    if (err instanceof Error) return typeof err.message === 'string' ? err.message : safeString(err.message);
  } catch {
    return '(the thrown error could not be read)';
  }
  return safeString(err);
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    try {
      return Object.prototype.toString.call(v);
    } catch {
      return '(a value that cannot be described)';
    }
  }
}

import { StoreError } from '../../errors/index.ts';

/**
 * SQLSTATE classes and codes that mean "the connection (or the server) went
 * away or stopped answering", not "this statement is wrong": the same
 * statement may succeed on another connection later.
 * - class 08: connection exceptions (08000, 08003, 08006, 08001, 08004, …);
 * - 57P01 admin_shutdown (pg_terminate_backend, a fast shutdown), 57P02
 *   crash_shutdown, 57P03 cannot_connect_now (starting up, recovering);
 * - 57014 query_canceled: the statement timeout fired (or an operator's
 *   pg_cancel_backend);
 * - 53300 too_many_connections.
 */
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '53300']);
/** Socket-level failures Node reports before any SQLSTATE exists. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Messages of `pg` and `pg-pool` for a dead, timed-out or unobtainable connection (they carry no code). */
const DRIVER_MESSAGES = [
  /Connection terminated/i,
  /Query read timeout/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /connection timeout/i,
];

/** True when `err` says the connection or server failed (worth retrying elsewhere or later), not the statement. */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof StoreError) return false;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || RETRYABLE_SQLSTATES.has(code) || SOCKET_CODES.has(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return DRIVER_MESSAGES.some((m) => m.test(message));
}

/**
 * The error a caller sees when the database connection failed under its
 * statement: a {@link StoreError} (`SYM_ERR_STORE`, HTTP 503) that says the
 * work may be retried, with the driver's error as `cause`. Other errors
 * (a constraint, a syntax error) pass through unchanged.
 */
export function connectionFailure(err: unknown, location: string): unknown {
  if (!isConnectionFailure(err)) return err;
  const e = err as { code?: string; message?: string };
  const why = e.code === '57014' ? 'the statement timed out or was cancelled' : e.message || String(err);
  return new StoreError(`the PostgreSQL connection to ${location} failed: ${why} (retryable: the operation may be retried once the database answers)`, { cause: err });
}

/**
 * Base class of every error the runtime throws on purpose.
 *
 * Each subclass has one meaning, a stable string `code` (listed in
 * `docs/errors.md`, never reused) and the HTTP status an adapter should
 * answer with. The CLI prints `error [CODE]: message`; nothing prints a stack
 * trace for a SymphainyError.
 */
export abstract class SymphainyError extends Error {
  abstract readonly code: string;
  abstract readonly statusCode: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Set name from the concrete class so logs and serialized errors say what it is.
    this.name = new.target.name;
  }

  /** A plain JSON shape, safe to return to a client (no stack, no cause). */
  toJSON(): { code: string; name: string; message: string } {
    return { code: this.code, name: this.name, message: this.message };
  }
}

/**
 * One offending field of a refused input: `path` is dotted
 * (`parameters.sop_text`, `limit`, `Authorization`); `in` says where an HTTP
 * request carried it (the body when absent).
 */
export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
  readonly in?: 'body' | 'query' | 'path' | 'header';
}

/** True for any SymphainyError, also across duplicate copies of the package. */
export function isSymphainyError(err: unknown): err is SymphainyError {
  return (
    err instanceof SymphainyError ||
    (err instanceof Error &&
      typeof (err as unknown as { code?: unknown }).code === 'string' &&
      String((err as unknown as { code: string }).code).startsWith('SYM_ERR_') &&
      typeof (err as unknown as { statusCode?: unknown }).statusCode === 'number')
  );
}

import { MissingPackageError } from '../errors/index.ts';

/**
 * Loading an optional peer dependency: a missing package is reported as
 * {@link MissingPackageError} naming what to install, not as a module
 * resolution stack trace.
 */

/**
 * Runs `load`; when it fails because one of `packages` cannot be resolved,
 * throws MissingPackageError naming every package of the set (they are
 * installed together). Any other failure propagates as it is.
 */
export async function importOptional<T>(load: () => Promise<T>, packages: readonly string[], purpose: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : '';
    // Node: "Cannot find package 'pg' imported from …/pg-db.js".
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && packages.some((p) => message.includes(`'${p}'`))) {
      throw new MissingPackageError(packages, purpose, { cause: err });
    }
    throw err;
  }
}

import { DecryptError, KeyDestroyedError, KeyUnavailableError } from './errors.ts';

/**
 * Whether an error is about an encryption key or a sealed value (destroyed,
 * unavailable, or failing to open): such an error names the key and the
 * record, and is reported as it is — never wrapped into a StoreError, which
 * would send the operator to the database instead of the key directory.
 */
export function isKeyError(err: unknown): err is KeyDestroyedError | KeyUnavailableError | DecryptError {
  return err instanceof KeyDestroyedError || err instanceof KeyUnavailableError || err instanceof DecryptError;
}

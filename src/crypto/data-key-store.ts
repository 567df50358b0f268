/**
 * A data key as stored: wrapped by a KEK, never in clear. `createdAt` is
 * informational (ISO 8601); nothing expires by it.
 */
export interface StoredKey {
  readonly keyId: string;
  /** The provider that wrapped it (`local`, `aws-kms`). */
  readonly provider: string;
  readonly kekId: string;
  readonly wrapped: Buffer;
  readonly createdAt: string;
}

/**
 * What a store knows of a key id: its wrapped key; `destroyed` (erased on
 * purpose, a tombstone); `lost` (issued once, but its key material is gone
 * without a tombstone: a deleted file, a key dir restored from an older
 * backup); or nothing (never issued here).
 */
export type KeyState = StoredKey | 'destroyed' | 'lost' | undefined;

/**
 * The data key store port: where wrapped data keys live, outside the
 * database (so that a key's destruction does not leave it in dead rows,
 * database WAL segments or backups).
 *
 * General notes: it owns durability, exclusive creation and destruction of
 * wrapped keys, and remembers which ids were destroyed (a tombstone holding
 * no key material) so a read can say "destroyed" rather than "missing", and
 * which ids it ever issued (an issue record, no key material), so an id whose
 * key is lost reads as `lost` and is never created again with other bytes. It
 * does not own wrapping (a KeyProvider) nor which key a scope uses (the
 * Keyring). Implementation: {@link FileKeyStore}.
 */
export interface DataKeyStore {
  /** Where the keys are, for messages (a directory path). */
  readonly location: string;
  /**
   * Stores a new key unless its id exists (live, destroyed or lost),
   * atomically across processes, and records it as issued.
   * @returns true when this call created it.
   */
  create(key: StoredKey): Promise<boolean>;
  /**
   * Records that an id was issued (a sealed record names it) though the
   * store has no entry for it: from then on it reads as `lost` and is never
   * created. Nothing changes for an id the store knows. Idempotent.
   */
  recordIssued(keyId: string): Promise<void>;
  /** Reads one key's state. @throws KeyUnavailableError when the stored entry is unreadable. */
  get(keyId: string): Promise<KeyState>;
  /** Replaces a live key's wrapping (KEK rotation); the previous bytes are shredded. */
  replace(key: StoredKey): Promise<void>;
  /**
   * Destroys a key: records the tombstone, then overwrites and removes the
   * key material, durably. Idempotent. @returns true when key material was removed.
   */
  destroy(keyId: string): Promise<boolean>;
  /** Every key id it knows: live, destroyed, and lost (issued, no key material, no tombstone). */
  list(): Promise<{ readonly live: readonly string[]; readonly destroyed: readonly string[]; readonly lost: readonly string[] }>;
  /** Where a key's material is kept, for messages (its file). */
  where(keyId: string): string;
}

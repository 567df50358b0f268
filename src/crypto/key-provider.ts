/**
 * A data key wrapped (encrypted) by a key-encryption key (KEK).
 * `kekId` says which KEK; `blob` is opaque to everyone but the provider.
 */
export interface WrappedKey {
  readonly kekId: string;
  readonly blob: Buffer;
}

/**
 * The key provider port: wraps and unwraps data keys with a key-encryption
 * key the runtime never stores next to the data. Data keys live wrapped in a
 * {@link DataKeyStore}; only their provider can unwrap them.
 *
 * Implementations: {@link LocalKekProvider} (KEKs from a file or an env var;
 * the embedded default) and {@link KmsKeyProvider} (AWS KMS through an
 * injected client).
 *
 * `keyId` is bound to the wrapping (as GCM associated data, or as a KMS
 * encryption context), so a wrapped key copied onto another key's file does
 * not unwrap.
 *
 * ```ts
 * const provider = LocalKekProvider.fromEnv('SYMPHAINY_KEK');
 * const wrapped = await provider.wrap(dataKey, 't.3f…​.1');
 * const again = await provider.unwrap(wrapped, 't.3f….1');
 * ```
 */
export interface KeyProvider {
  /** Short name for messages and key files, e.g. `local` or `aws-kms`. */
  readonly name: string;
  /** The KEK new wrappings use. */
  readonly currentKekId: string;
  /** Wraps a 32-byte data key with the current KEK. @throws KeyUnavailableError when the KEK cannot be used. */
  wrap(dataKey: Buffer, keyId: string): Promise<WrappedKey>;
  /** Unwraps with the KEK the wrapping names. @throws KeyUnavailableError naming the key and the KEK. */
  unwrap(wrapped: WrappedKey, keyId: string): Promise<Buffer>;
  /**
   * Optional: makes a fresh data key and its wrapping in one call (KMS
   * `GenerateDataKey`); without it the keyring uses `randomBytes(32)` + `wrap`.
   */
  generateDataKey?(keyId: string): Promise<{ readonly plaintext: Buffer; readonly wrapped: WrappedKey }>;
}

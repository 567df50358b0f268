/**
 * Envelope encryption of tenant content at rest, with erasure by key
 * destruction. Design, formats and threat model: docs/encryption.md.
 *
 * ```ts
 * const keyring = await openEmbeddedKeyring('.symphainy');
 * const env = new Envelope(keyring);
 * const ref = { tenantId: 'acme', record: 'execution:exe_1', field: 'parameters' };
 * const sealed = await env.seal('{"customer_id":"42"}', { tenantId: 'acme', subjects: [{ name: 'customer_id', value: '42' }] }, ref);
 * await keyring.destroy({ kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' });
 * await env.open(sealed, ref); // throws KeyDestroyedError naming the key and the record
 * ```
 * @module
 */
export type { DataKeyStore, KeyState, StoredKey } from './data-key-store.ts';
export { openEmbeddedKeyring, type EmbeddedKeyringOptions } from './embedded-keyring.ts';
export { Envelope, type KeyedDigest } from './envelope.ts';
export { FileKeyStore } from './file-store/file-key-store.ts';
export { KeyCache } from './key-cache.ts';
export { parseKeyId, type ParsedKeyId } from './key-names.ts';
export type { KeyProvider, WrappedKey } from './key-provider.ts';
export { Keyring, type ActiveKey, type KeyringOptions } from './keyring.ts';
export { KmsKeyProvider, kmsClientFromSend, type KmsClientLike, type KmsCommands, type KmsKeyProviderOptions } from './kms/kms-key-provider.ts';
export { addKek, ensureKekFile, retireKeks } from './local-kek/kek-file.ts';
export { LocalKekProvider, parseKekText, type Kek } from './local-kek/local-kek-provider.ts';
export { coverScopes, describeRecord, type Cover, type KeyScope, type RecordRef, type SubjectRef } from './scope.ts';
export { isSealed, parseSealed, sealedFromText, sealedToText, type SealedHeader } from './sealed-format.ts';
export { executionCover, type ContentCipher, type CoveredExecution } from './content-cipher.ts';
export { MemoryKeyStore } from './memory-key-store.ts';

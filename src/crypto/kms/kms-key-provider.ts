import { ConfigError, KeyUnavailableError } from '../../errors/index.ts';
import type { KeyProvider, WrappedKey } from '../key-provider.ts';

/**
 * The subset of AWS KMS this provider calls, in the shapes of
 * `@aws-sdk/client-kms` (its aggregated `KMS` client has exactly these
 * methods): declared here so the runtime has no hard dependency on the SDK,
 * as Kysely declares the subset of PGlite it uses.
 *
 * ```ts
 * import { KMS } from '@aws-sdk/client-kms';
 * const provider = new KmsKeyProvider({ client: new KMS({ region: 'eu-west-1' }), keyId: 'alias/symphainy' });
 * ```
 */
export interface KmsClientLike {
  encrypt(input: {
    KeyId: string;
    Plaintext: Uint8Array;
    EncryptionContext?: Record<string, string>;
  }): Promise<{ CiphertextBlob?: Uint8Array; KeyId?: string }>;
  decrypt(input: {
    CiphertextBlob: Uint8Array;
    KeyId?: string;
    EncryptionContext?: Record<string, string>;
  }): Promise<{ Plaintext?: Uint8Array; KeyId?: string }>;
  generateDataKey(input: {
    KeyId: string;
    KeySpec?: 'AES_256' | 'AES_128';
    EncryptionContext?: Record<string, string>;
  }): Promise<{ CiphertextBlob?: Uint8Array; Plaintext?: Uint8Array; KeyId?: string }>;
}

export interface KmsKeyProviderOptions {
  /** A KMS client (e.g. `new KMS({ region })` from `@aws-sdk/client-kms`). */
  readonly client: KmsClientLike;
  /** The KMS key new wrappings use: key id, ARN or `alias/…`. */
  readonly keyId: string;
}

/**
 * Data keys wrapped by an AWS KMS key: the KEK never leaves KMS. Each call
 * passes the data key id as the encryption context `symphainy:key`, so KMS
 * refuses to unwrap a wrapped key presented for another key id (and its
 * CloudTrail log names the data key).
 *
 * `currentKekId` starts as the configured id or alias; after the first call
 * it is the key ARN KMS reports, which is what wrappings record and what
 * unwrap passes back as `KeyId`. KEK rotation: open a provider with the new
 * `keyId` and rewrap (KMS can decrypt with any key the caller may use).
 */
export class KmsKeyProvider implements KeyProvider {
  readonly name = 'aws-kms';
  readonly #client: KmsClientLike;
  #currentKekId: string;

  /** @throws ConfigError when the client lacks encrypt/decrypt/generateDataKey or keyId is empty. */
  constructor(options: KmsKeyProviderOptions) {
    const c = options?.client as Partial<KmsClientLike> | undefined;
    if (!c || typeof c.encrypt !== 'function' || typeof c.decrypt !== 'function' || typeof c.generateDataKey !== 'function') {
      throw new ConfigError('KmsKeyProvider: client must have encrypt, decrypt and generateDataKey (the KMS client of @aws-sdk/client-kms)');
    }
    if (typeof options.keyId !== 'string' || !options.keyId) throw new ConfigError('KmsKeyProvider: keyId must name a KMS key (id, ARN or alias/…)');
    this.#client = options.client;
    this.#currentKekId = options.keyId;
  }

  get currentKekId(): string {
    return this.#currentKekId;
  }

  async wrap(dataKey: Buffer, keyId: string): Promise<WrappedKey> {
    const out = await this.#call('Encrypt', keyId, this.#currentKekId, () =>
      this.#client.encrypt({ KeyId: this.#currentKekId, Plaintext: dataKey, EncryptionContext: context(keyId) }),
    );
    if (!out.CiphertextBlob) throw new KeyUnavailableError(`KMS Encrypt for data key '${keyId}' returned no CiphertextBlob`);
    return { kekId: this.#learn(out.KeyId), blob: Buffer.from(out.CiphertextBlob) };
  }

  async unwrap(wrapped: WrappedKey, keyId: string): Promise<Buffer> {
    const out = await this.#call('Decrypt', keyId, wrapped.kekId, () =>
      this.#client.decrypt({ CiphertextBlob: wrapped.blob, KeyId: wrapped.kekId, EncryptionContext: context(keyId) }),
    );
    if (!out.Plaintext || out.Plaintext.length !== 32) {
      throw new KeyUnavailableError(`KMS Decrypt of data key '${keyId}' (KEK '${wrapped.kekId}') returned no 32-byte key`);
    }
    return Buffer.from(out.Plaintext);
  }

  async generateDataKey(keyId: string): Promise<{ plaintext: Buffer; wrapped: WrappedKey }> {
    const out = await this.#call('GenerateDataKey', keyId, this.#currentKekId, () =>
      this.#client.generateDataKey({ KeyId: this.#currentKekId, KeySpec: 'AES_256', EncryptionContext: context(keyId) }),
    );
    if (!out.Plaintext || out.Plaintext.length !== 32 || !out.CiphertextBlob) {
      throw new KeyUnavailableError(`KMS GenerateDataKey for data key '${keyId}' returned no 32-byte key and blob`);
    }
    return { plaintext: Buffer.from(out.Plaintext), wrapped: { kekId: this.#learn(out.KeyId), blob: Buffer.from(out.CiphertextBlob) } };
  }

  /** KMS answers with the key ARN; record that rather than an alias, which may later point elsewhere. */
  #learn(reported: string | undefined): string {
    if (reported && !this.#currentKekId.startsWith('arn:') && reported.startsWith('arn:')) this.#currentKekId = reported;
    return reported ?? this.#currentKekId;
  }

  async #call<T>(operation: string, keyId: string, kekId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // SDK errors carry the exception name (AccessDeniedException, KMSInvalidStateException, InvalidCiphertextException…).
      const name = (err as { name?: string })?.name ?? 'Error';
      throw new KeyUnavailableError(`KMS ${operation} for data key '${keyId}' with KEK '${kekId}' failed: ${name}: ${(err as Error)?.message ?? err}`, {
        cause: err,
      });
    }
  }
}

function context(keyId: string): Record<string, string> {
  return { 'symphainy:key': keyId };
}

/** The command classes of `@aws-sdk/client-kms` that {@link kmsClientFromSend} needs. */
export interface KmsCommands {
  readonly EncryptCommand: new (input: Parameters<KmsClientLike['encrypt']>[0]) => unknown;
  readonly DecryptCommand: new (input: Parameters<KmsClientLike['decrypt']>[0]) => unknown;
  readonly GenerateDataKeyCommand: new (input: Parameters<KmsClientLike['generateDataKey']>[0]) => unknown;
}

/**
 * Adapts the modular client (`new KMSClient(...)` with `client.send(new
 * EncryptCommand(input))`) to {@link KmsClientLike}, for applications that
 * use the SDK's modular style.
 *
 * ```ts
 * import { KMSClient, EncryptCommand, DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
 * const client = kmsClientFromSend(new KMSClient({}), { EncryptCommand, DecryptCommand, GenerateDataKeyCommand });
 * ```
 */
export function kmsClientFromSend(client: { send(command: unknown): Promise<unknown> }, commands: KmsCommands): KmsClientLike {
  return {
    encrypt: (input) => client.send(new commands.EncryptCommand(input)) as ReturnType<KmsClientLike['encrypt']>,
    decrypt: (input) => client.send(new commands.DecryptCommand(input)) as ReturnType<KmsClientLike['decrypt']>,
    generateDataKey: (input) => client.send(new commands.GenerateDataKeyCommand(input)) as ReturnType<KmsClientLike['generateDataKey']>,
  };
}

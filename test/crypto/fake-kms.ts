import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { KmsClientLike } from '../../src/crypto/index.ts';

/**
 * An in-memory stand-in for AWS KMS with the request and response shapes of
 * `@aws-sdk/client-kms` (Encrypt, Decrypt, GenerateDataKey), its key
 * resolution (key id, ARN, `alias/…`), encryption-context binding, key
 * states, and its exception names. Two styles, as the SDK has: the
 * aggregated methods (`kms.encrypt(input)`) and the modular
 * `send(new EncryptCommand(input))` with the command classes below.
 */
export class FakeKms implements KmsClientLike {
  readonly #keys = new Map<string, { material: Buffer; state: 'Enabled' | 'Disabled' | 'PendingDeletion' }>();
  readonly #aliases = new Map<string, string>();
  /** Every call as `Operation KeyId`, for assertions. */
  readonly calls: string[] = [];

  /** Creates a symmetric key; @returns its ARN. */
  createKey(alias?: string): string {
    const id = randomUUID();
    const arn = `arn:aws:kms:eu-west-1:111122223333:key/${id}`;
    this.#keys.set(arn, { material: randomBytes(32), state: 'Enabled' });
    if (alias) this.#aliases.set(alias, arn);
    return arn;
  }

  setState(arn: string, state: 'Enabled' | 'Disabled' | 'PendingDeletion'): void {
    this.#keys.get(arn)!.state = state;
  }

  async encrypt(input: { KeyId: string; Plaintext: Uint8Array; EncryptionContext?: Record<string, string> }) {
    this.calls.push(`Encrypt ${input.KeyId}`);
    const arn = this.#usable(input.KeyId);
    return { CiphertextBlob: this.#seal(arn, Buffer.from(input.Plaintext), input.EncryptionContext), KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' as const };
  }

  async decrypt(input: { CiphertextBlob: Uint8Array; KeyId?: string; EncryptionContext?: Record<string, string> }) {
    this.calls.push(`Decrypt ${input.KeyId ?? ''}`);
    const blob = Buffer.from(input.CiphertextBlob);
    const arnLen = blob[0] ?? 0;
    const arn = blob.subarray(1, 1 + arnLen).toString('utf8');
    if (!this.#keys.has(arn)) throw kmsError('InvalidCiphertextException', 'The ciphertext refers to a key that does not exist');
    if (input.KeyId !== undefined && this.#resolve(input.KeyId) !== arn) throw kmsError('IncorrectKeyException', 'The key ID in the request does not identify the key used to encrypt');
    this.#usable(arn);
    const body = blob.subarray(1 + arnLen);
    try {
      const d = createDecipheriv('aes-256-gcm', this.#keys.get(arn)!.material, body.subarray(0, 12));
      d.setAAD(contextBytes(input.EncryptionContext));
      d.setAuthTag(body.subarray(12, 28));
      return { Plaintext: Buffer.concat([d.update(body.subarray(28)), d.final()]), KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' as const };
    } catch {
      throw kmsError('InvalidCiphertextException', '');
    }
  }

  async generateDataKey(input: { KeyId: string; KeySpec?: 'AES_256' | 'AES_128'; NumberOfBytes?: number; EncryptionContext?: Record<string, string> }) {
    this.calls.push(`GenerateDataKey ${input.KeyId}`);
    if (!input.KeySpec && !input.NumberOfBytes) throw kmsError('ValidationException', 'Please specify either number of bytes or key spec.');
    const arn = this.#usable(input.KeyId);
    const plain = randomBytes(input.KeySpec === 'AES_128' ? 16 : (input.NumberOfBytes ?? 32));
    return { CiphertextBlob: this.#seal(arn, plain, input.EncryptionContext), Plaintext: plain, KeyId: arn };
  }

  /** The modular style: `send(new EncryptCommand(input))`. */
  async send(command: unknown): Promise<unknown> {
    if (command instanceof EncryptCommand) return this.encrypt(command.input);
    if (command instanceof DecryptCommand) return this.decrypt(command.input);
    if (command instanceof GenerateDataKeyCommand) return this.generateDataKey(command.input);
    throw new Error('unsupported command');
  }

  #resolve(keyId: string): string | undefined {
    if (keyId.startsWith('alias/')) return this.#aliases.get(keyId);
    if (keyId.startsWith('arn:')) return this.#keys.has(keyId) ? keyId : undefined;
    return [...this.#keys.keys()].find((arn) => arn.endsWith(`/${keyId}`));
  }

  #usable(keyId: string): string {
    const arn = this.#resolve(keyId);
    if (!arn) throw kmsError('NotFoundException', `Key '${keyId}' does not exist`);
    const state = this.#keys.get(arn)!.state;
    if (state === 'Disabled') throw kmsError('DisabledException', `${arn} is disabled.`);
    if (state === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${arn} is pending deletion.`);
    return arn;
  }

  #seal(arn: string, plain: Buffer, ctx: Record<string, string> | undefined): Buffer {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#keys.get(arn)!.material, nonce);
    c.setAAD(contextBytes(ctx));
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const a = Buffer.from(arn, 'utf8');
    return Buffer.concat([Buffer.from([a.length]), a, nonce, c.getAuthTag(), ct]);
  }
}

export class EncryptCommand {
  constructor(readonly input: Parameters<KmsClientLike['encrypt']>[0]) {}
}
export class DecryptCommand {
  constructor(readonly input: Parameters<KmsClientLike['decrypt']>[0]) {}
}
export class GenerateDataKeyCommand {
  constructor(readonly input: Parameters<KmsClientLike['generateDataKey']>[0]) {}
}

/** Like the SDK's service exceptions: `name` is the KMS exception type. */
function kmsError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return Object.assign(e, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function contextBytes(ctx: Record<string, string> | undefined): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))));
}

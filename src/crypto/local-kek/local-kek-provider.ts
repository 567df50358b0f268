import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, KeyUnavailableError } from '../../errors/index.ts';
import type { KeyProvider, WrappedKey } from '../key-provider.ts';
import { lengthPrefixed } from '../scope.ts';

/** One key-encryption key: an id and 32 bytes. */
export interface Kek {
  readonly id: string;
  readonly key: Buffer;
}

const KEK_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Key-encryption keys held by this process, from a file or an environment
 * variable: the embedded default and the simple server option.
 *
 * General notes: it owns AES-256-GCM wrapping of data keys under a KEK. It
 * does not own where data keys are stored (a DataKeyStore) nor where the
 * KEK comes from in production (the operator's secret manager puts it into
 * the file or variable). Several KEKs may be held: the first wraps, all
 * unwrap — that is what KEK rotation needs while data keys are rewrapped.
 *
 * KEK text format (file or env var), one KEK per line or comma-separated,
 * the first is current: `id:base64` (32 bytes), or a bare base64 key whose
 * id is derived from it (`kek-` + 12 hex of a SHA-256 over a label and the key).
 *
 * Wrapping blob: nonce (12) ‖ tag (16) ‖ encrypted key (32); associated data
 * binds the data key id and the KEK id.
 */
export class LocalKekProvider implements KeyProvider {
  readonly name = 'local';
  readonly #keks: ReadonlyMap<string, Buffer>;
  readonly currentKekId: string;
  /** Where the KEKs came from, for messages (`env SYMPHAINY_KEK`, a file path). */
  readonly source: string;

  /** @throws ConfigError when `keks` is empty, a key is not 32 bytes, or an id repeats. */
  constructor(keks: readonly Kek[], source = 'options') {
    if (!keks.length) throw new ConfigError(`${source}: no key-encryption key given`);
    const map = new Map<string, Buffer>();
    for (const k of keks) {
      if (!KEK_ID.test(k.id)) throw new ConfigError(`${source}: KEK id '${k.id}' must be 1–64 letters, digits, . _ -`);
      if (!Buffer.isBuffer(k.key) || k.key.length !== 32) throw new ConfigError(`${source}: KEK '${k.id}' must be 32 bytes, not ${k.key?.length ?? 'none'}`);
      if (map.has(k.id)) throw new ConfigError(`${source}: KEK id '${k.id}' appears twice`);
      map.set(k.id, Buffer.from(k.key));
    }
    this.#keks = map;
    this.currentKekId = keks[0]!.id;
    this.source = source;
  }

  /** The ids of every KEK held, current first. */
  get kekIds(): readonly string[] {
    return [...this.#keks.keys()];
  }

  /** KEKs from an environment variable (default `SYMPHAINY_KEK`). @throws ConfigError when unset or malformed. */
  static fromEnv(variable = 'SYMPHAINY_KEK', env: NodeJS.ProcessEnv = process.env): LocalKekProvider {
    const text = env[variable];
    if (!text) throw new ConfigError(`environment variable ${variable} is not set (it holds the key-encryption key: id:base64 of 32 bytes)`);
    return new LocalKekProvider(parseKekText(text, `env ${variable}`), `env ${variable}`);
  }

  /** KEKs from a file (see the class notes for the format). @throws ConfigError naming the file and line. */
  static async fromFile(path: string): Promise<LocalKekProvider> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read key-encryption key file ${path}: ${(err as Error).message}`, { cause: err });
    }
    return new LocalKekProvider(parseKekText(text, path), path);
  }

  async wrap(dataKey: Buffer, keyId: string): Promise<WrappedKey> {
    const kek = this.#keks.get(this.currentKekId)!;
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', kek, nonce);
    c.setAAD(wrapAad(keyId, this.currentKekId));
    const ct = Buffer.concat([c.update(dataKey), c.final()]);
    return { kekId: this.currentKekId, blob: Buffer.concat([nonce, c.getAuthTag(), ct]) };
  }

  async unwrap(wrapped: WrappedKey, keyId: string): Promise<Buffer> {
    const kek = this.#keks.get(wrapped.kekId);
    if (!kek) {
      throw new KeyUnavailableError(
        `data key '${keyId}' is wrapped by KEK '${wrapped.kekId}', which ${this.source} does not hold (it holds ${this.kekIds.join(', ')})`,
      );
    }
    try {
      const d = createDecipheriv('aes-256-gcm', kek, wrapped.blob.subarray(0, 12));
      d.setAAD(wrapAad(keyId, wrapped.kekId));
      d.setAuthTag(wrapped.blob.subarray(12, 28));
      return Buffer.concat([d.update(wrapped.blob.subarray(28)), d.final()]);
    } catch (err) {
      throw new KeyUnavailableError(`data key '${keyId}' does not unwrap with KEK '${wrapped.kekId}' from ${this.source} (wrong KEK, or the key file was altered)`, {
        cause: err,
      });
    }
  }
}

/** A fresh KEK with a random id, as a line of the KEK text format. */
export function newKekLine(): string {
  return `kek-${randomBytes(6).toString('hex')}:${randomBytes(32).toString('base64')}`;
}

/**
 * Parses the KEK text format. Blank lines and `#` comments are skipped.
 * @throws ConfigError naming the source and line.
 */
export function parseKekText(text: string, source: string): Kek[] {
  const keks: Kek[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    for (const entry of raw.split(',')) {
      const item = entry.trim();
      if (!item || item.startsWith('#')) continue;
      const where = source.startsWith('env ') ? source : `${source}:${i + 1}`;
      const colon = item.lastIndexOf(':');
      const id = colon >= 0 ? item.slice(0, colon) : undefined;
      const b64 = colon >= 0 ? item.slice(colon + 1) : item;
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new ConfigError(`${where}: key-encryption key is not base64`);
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new ConfigError(`${where}: key-encryption key must decode to 32 bytes, not ${key.length}`);
      if (id !== undefined && !KEK_ID.test(id)) throw new ConfigError(`${where}: KEK id '${id}' must be 1–64 letters, digits, . _ -`);
      keks.push({ id: id ?? derivedKekId(key), key });
    }
  });
  if (!keks.length) throw new ConfigError(`${source}: no key-encryption key found`);
  return keks;
}

function derivedKekId(key: Buffer): string {
  return `kek-${createHash('sha256').update('symphainy kek id\u0000').update(key).digest('hex').slice(0, 12)}`;
}

function wrapAad(keyId: string, kekId: string): Buffer {
  return lengthPrefixed(['symphainy-wrap-v1', keyId, kekId]);
}

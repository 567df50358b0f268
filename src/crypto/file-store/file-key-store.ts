import { chmod, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, KeyUnavailableError } from '../../errors/index.ts';
import type { DataKeyStore, KeyState, StoredKey } from '../data-key-store.ts';
import { KEY_ID } from '../sealed-format.ts';
import { cleanLeftover, createExclusive, exists, isTempName, replaceFile, shredFile } from './durable-file.ts';

const KEY_SUFFIX = '.key';
const TOMBSTONE_SUFFIX = '.destroyed';

/**
 * Wrapped data keys as one file per key in a directory (the embedded
 * default: `<dataDir>/keys/`), outside the database so that destroying a key
 * really removes it: a database row would survive in dead tuples, WAL
 * segments and backups.
 *
 * Layout: `<keyId>.key` (mode 0600) holds one JSON line
 * `{"v":1,"keyId","provider","kekId","wrapped":base64,"createdAt"}`;
 * `<keyId>.destroyed` is the tombstone of a destroyed key (its destruction
 * time, no key material). The directory is created with mode 0700.
 *
 * Destruction: the tombstone is written first (durably), then the key file
 * is overwritten with random bytes, fsynced, unlinked and the directory
 * fsynced. A crash in between leaves both; the tombstone wins on read and
 * {@link open} shreds the leftover key file.
 */
export class FileKeyStore implements DataKeyStore {
  readonly location: string;

  private constructor(dir: string) {
    this.location = dir;
  }

  /**
   * Opens (creating if needed) the key directory, and finishes what a crash
   * interrupted: key files that have a tombstone are shredded, and temp or
   * retired files older than a minute are removed (younger ones may belong
   * to another process's write in progress; see cleanLeftover).
   * @throws ConfigError when the directory cannot be created or read.
   */
  static async open(dir: string): Promise<FileKeyStore> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    } catch (err) {
      throw new ConfigError(`cannot create the key directory ${dir}: ${(err as Error).message}`, { cause: err });
    }
    const store = new FileKeyStore(dir);
    const names = await store.#names();
    const tombstones = new Set(names.filter((n) => n.endsWith(TOMBSTONE_SUFFIX)).map((n) => n.slice(0, -TOMBSTONE_SUFFIX.length)));
    for (const n of names) {
      if (isTempName(n)) await cleanLeftover(dir, n);
      else if (n.endsWith(KEY_SUFFIX) && tombstones.has(n.slice(0, -KEY_SUFFIX.length))) await shredFile(join(dir, n));
    }
    return store;
  }

  async create(key: StoredKey): Promise<boolean> {
    checkId(key.keyId);
    // A destroyed id is never reused: its old ciphertexts must stay unreadable.
    if (await exists(this.#tombstone(key.keyId))) return false;
    return createExclusive(this.#file(key.keyId), encode(key));
  }

  async get(keyId: string): Promise<KeyState> {
    checkId(keyId);
    if (await exists(this.#tombstone(keyId))) return 'destroyed';
    let text: string;
    try {
      text = await readFile(this.#file(keyId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new KeyUnavailableError(`cannot read data key file ${this.#file(keyId)}: ${(err as Error).message}`, { cause: err });
    }
    return decode(text, this.#file(keyId), keyId);
  }

  async replace(key: StoredKey): Promise<void> {
    checkId(key.keyId);
    if (!(await exists(this.#file(key.keyId)))) throw new KeyUnavailableError(`data key '${key.keyId}' has no file in ${this.location} to rewrap`);
    await replaceFile(this.#file(key.keyId), encode(key));
  }

  async destroy(keyId: string): Promise<boolean> {
    checkId(keyId);
    await createExclusive(this.#tombstone(keyId), Buffer.from(`${new Date().toISOString()}\n`));
    return shredFile(this.#file(keyId));
  }

  async list(): Promise<{ live: string[]; destroyed: string[] }> {
    const live: string[] = [];
    const destroyed: string[] = [];
    const names = await this.#names();
    const tomb = new Set<string>();
    for (const n of names) if (n.endsWith(TOMBSTONE_SUFFIX)) tomb.add(n.slice(0, -TOMBSTONE_SUFFIX.length));
    for (const n of names) {
      if (isTempName(n)) continue;
      if (n.endsWith(KEY_SUFFIX) && !tomb.has(n.slice(0, -KEY_SUFFIX.length))) live.push(n.slice(0, -KEY_SUFFIX.length));
    }
    destroyed.push(...tomb);
    return { live: live.sort(), destroyed: destroyed.sort() };
  }

  #file(keyId: string): string {
    return join(this.location, `${keyId}${KEY_SUFFIX}`);
  }

  #tombstone(keyId: string): string {
    return join(this.location, `${keyId}${TOMBSTONE_SUFFIX}`);
  }

  async #names(): Promise<string[]> {
    try {
      return await readdir(this.location);
    } catch (err) {
      throw new ConfigError(`cannot read the key directory ${this.location}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function checkId(keyId: string): void {
  // Key ids become file names: the pattern has no '/', and a leading '.' would be a hidden or '..' entry.
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId) || keyId.startsWith('.')) throw new KeyUnavailableError(`invalid data key id '${keyId}'`);
}

function encode(key: StoredKey): Buffer {
  return Buffer.from(
    `${JSON.stringify({ v: 1, keyId: key.keyId, provider: key.provider, kekId: key.kekId, wrapped: key.wrapped.toString('base64'), createdAt: key.createdAt })}\n`,
  );
}

function decode(text: string, file: string, keyId: string): StoredKey {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new KeyUnavailableError(`data key file ${file} is not valid JSON (damaged?)`, { cause: err });
  }
  for (const f of ['keyId', 'provider', 'kekId', 'wrapped', 'createdAt'] as const) {
    if (typeof o[f] !== 'string') throw new KeyUnavailableError(`data key file ${file}: field '${f}' is missing or not a string`);
  }
  if (o.v !== 1) throw new KeyUnavailableError(`data key file ${file}: unsupported version ${String(o.v)}`);
  if (o.keyId !== keyId) throw new KeyUnavailableError(`data key file ${file} holds key '${String(o.keyId)}', not '${keyId}'`);
  return {
    keyId,
    provider: o.provider as string,
    kekId: o.kekId as string,
    wrapped: Buffer.from(o.wrapped as string, 'base64'),
    createdAt: o.createdAt as string,
  };
}

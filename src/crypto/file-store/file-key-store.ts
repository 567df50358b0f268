import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, KeyUnavailableError } from '../../errors/index.ts';
import type { DataKeyStore, KeyState, StoredKey } from '../data-key-store.ts';
import { keyIdOf, parseKeyId } from '../key-names.ts';
import { KEY_ID } from '../sealed-format.ts';
import { cleanLeftover, createExclusive, createMarker, exists, fsyncDir, isTempName, replaceFile, shredFile } from './durable-file.ts';

const KEY_SUFFIX = '.key';
const TOMBSTONE_SUFFIX = '.destroyed';
const ISSUED_SUFFIX = '.issued';

/**
 * Wrapped data keys as one file per key in a directory (the embedded
 * default: `<dataDir>/keys/`), outside the database so that destroying a key
 * really removes it: a database row would survive in dead tuples, WAL
 * segments and backups.
 *
 * Layout: `<keyId>.key` (mode 0600) holds one JSON line
 * `{"v":1,"keyId","provider","kekId","wrapped":base64,"createdAt"}`;
 * `<keyId>.destroyed` is the tombstone of a destroyed key (its destruction
 * time, no key material); `<keyId>.issued` (empty) records that the id was
 * issued, so a key file that goes missing without a tombstone reads as
 * `lost` and its id is never created again with other bytes (records sealed
 * under it would otherwise fail as if tampered with, and a restored backup
 * would break the records sealed since). The directory is created with mode 0700.
 *
 * Issue records are written after the key file, without fsync: one lost to a
 * crash is written again by {@link open} for the key file it belongs to.
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
    await store.#recordIssuedAtOpen(names);
    return store;
  }

  /**
   * Issue records for what the directory shows was issued: every key file
   * without one (a crash before it was written, or a directory from before
   * issue records), and every generation missing below a known one of its
   * scope (generations are made in order 1, 2, …, so a gap is a lost key).
   */
  async #recordIssuedAtOpen(names: readonly string[]): Promise<void> {
    const known = new Set<string>();
    const highest = new Map<string, number>();
    for (const n of names) {
      if (isTempName(n)) continue;
      const suffix = [KEY_SUFFIX, TOMBSTONE_SUFFIX, ISSUED_SUFFIX].find((x) => n.endsWith(x));
      if (!suffix) continue;
      const id = n.slice(0, -suffix.length);
      known.add(id);
      const parsed = parseKeyId(id);
      if (parsed) highest.set(parsed.scopeName, Math.max(highest.get(parsed.scopeName) ?? 0, parsed.generation));
    }
    const has = new Set(names);
    const missing: string[] = [];
    for (const id of known) {
      if (has.has(`${id}${KEY_SUFFIX}`) && !has.has(`${id}${TOMBSTONE_SUFFIX}`) && !has.has(`${id}${ISSUED_SUFFIX}`)) missing.push(id);
    }
    for (const [scopeName, top] of highest) {
      for (let gen = 1; gen < top; gen++) if (!known.has(keyIdOf(scopeName, gen))) missing.push(keyIdOf(scopeName, gen));
    }
    for (const id of missing) await createMarker(this.#issued(id));
    if (missing.length > 0) await fsyncDir(this.location);
  }

  async create(key: StoredKey): Promise<boolean> {
    checkId(key.keyId);
    // A destroyed id is never reused: its old ciphertexts must stay unreadable. Nor is a lost one:
    // records sealed under it would fail to open as if altered.
    if ((await exists(this.#tombstone(key.keyId))) || (await exists(this.#issued(key.keyId)))) return false;
    if (!(await createExclusive(this.#file(key.keyId), encode(key)))) return false;
    await createMarker(this.#issued(key.keyId));
    return true;
  }

  async recordIssued(keyId: string): Promise<void> {
    checkId(keyId);
    if ((await exists(this.#tombstone(keyId))) || (await exists(this.#file(keyId)))) return;
    if (await createMarker(this.#issued(keyId))) await fsyncDir(this.location);
  }

  async get(keyId: string): Promise<KeyState> {
    checkId(keyId);
    if (await exists(this.#tombstone(keyId))) return 'destroyed';
    let text: string;
    try {
      text = await readFile(this.#file(keyId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (await exists(this.#issued(keyId))) ? 'lost' : undefined;
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
    const shredded = await shredFile(this.#file(keyId));
    // The tombstone says it was issued (and more); the issue record holds nothing to shred.
    await unlink(this.#issued(keyId)).catch(() => {});
    return shredded;
  }

  async list(): Promise<{ live: string[]; destroyed: string[]; lost: string[] }> {
    const names = await this.#names();
    const ids = (suffix: string) => new Set(names.filter((n) => !isTempName(n) && n.endsWith(suffix)).map((n) => n.slice(0, -suffix.length)));
    const keys = ids(KEY_SUFFIX);
    const tomb = ids(TOMBSTONE_SUFFIX);
    const live = [...keys].filter((id) => !tomb.has(id));
    const lost = [...ids(ISSUED_SUFFIX)].filter((id) => !keys.has(id) && !tomb.has(id));
    return { live: live.sort(), destroyed: [...tomb].sort(), lost: lost.sort() };
  }

  where(keyId: string): string {
    return this.#file(keyId);
  }

  #file(keyId: string): string {
    return join(this.location, `${keyId}${KEY_SUFFIX}`);
  }

  #issued(keyId: string): string {
    return join(this.location, `${keyId}${ISSUED_SUFFIX}`);
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

import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors/index.ts';
import { createExclusive, exists, replaceFile } from '../file-store/durable-file.ts';
import { LocalKekProvider, newKekLine, parseKekText } from './local-kek-provider.ts';

/**
 * A KEK file in the text format of {@link LocalKekProvider} (first line
 * current). These helpers create it, add a new current KEK for rotation,
 * and retire the old ones once every data key is rewrapped.
 *
 * KEK rotation, in order:
 *   1. `await addKek(path)` — a new KEK becomes current; the old still unwraps.
 *   2. `keyring.rewrapAll()` with a provider read from the file.
 *   3. `await retireKeks(path)` — only the current KEK stays; the old file
 *      bytes are overwritten (a wrapped key copy left on disk, e.g. in freed
 *      blocks of a copy-on-write filesystem, no longer unwraps).
 */

/** Creates the file with one random KEK (mode 0600) unless it exists. @returns the provider over the file. */
export async function ensureKekFile(path: string): Promise<LocalKekProvider> {
  if (!(await exists(path))) {
    try {
      await createExclusive(path, Buffer.from(`# SymphAIny key-encryption keys (first is current). Keep a copy apart from backups of the data.\n${newKekLine()}\n`));
    } catch (err) {
      throw new ConfigError(`cannot create key-encryption key file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return LocalKekProvider.fromFile(path);
}

/** Adds a new random KEK as the current one, keeping the others. @returns the provider over the updated file. */
export async function addKek(path: string): Promise<LocalKekProvider> {
  const text = await readKekFile(path);
  parseKekText(text, path); // refuse to build on a malformed file
  await replaceFile(path, Buffer.from(`${newKekLine()}\n${text}`));
  return LocalKekProvider.fromFile(path);
}

/** Keeps only the current (first) KEK. Call after `rewrapAll()`. @returns the retired KEK ids. */
export async function retireKeks(path: string): Promise<string[]> {
  const text = await readKekFile(path);
  const keks = parseKekText(text, path);
  const [current, ...old] = keks;
  await replaceFile(path, Buffer.from(`${current!.id}:${current!.key.toString('base64')}\n`));
  return old.map((k) => k.id);
}

async function readKekFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read key-encryption key file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

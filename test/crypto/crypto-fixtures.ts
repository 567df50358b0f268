import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Envelope, FileKeyStore, Keyring, LocalKekProvider } from '../../src/crypto/index.ts';

/** A fresh temp dir with a keyring over `<dir>/keys` and a random local KEK. */
export async function freshKeyring(options: { cacheSize?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sym-crypto-'));
  const provider = new LocalKekProvider([{ id: 'kek-a', key: randomBytes(32) }]);
  const store = await FileKeyStore.open(join(dir, 'keys'));
  const keyring = await Keyring.open({ store, provider, ...options });
  return {
    dir,
    keysDir: join(dir, 'keys'),
    provider,
    store,
    keyring,
    envelope: new Envelope(keyring),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every file under `dir` (recursively) with its raw bytes. */
export async function rawFiles(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

/** Files under `dir` whose raw bytes contain `needle` (also as base64 and hex, the encodings a key file could use). */
export async function filesContaining(dir: string, needle: Buffer): Promise<string[]> {
  const forms = [needle, Buffer.from(needle.toString('base64')), Buffer.from(needle.toString('hex')), Buffer.from(needle.toString('base64url'))];
  return (await rawFiles(dir)).filter((f) => forms.some((n) => f.bytes.includes(n))).map((f) => f.path);
}

import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { exists } from './file-store/durable-file.ts';
import { FileKeyStore } from './file-store/file-key-store.ts';
import type { KeyProvider } from './key-provider.ts';
import { Keyring, type KeyringOptions } from './keyring.ts';
import { ensureKekFile } from './local-kek/kek-file.ts';
import { LocalKekProvider } from './local-kek/local-kek-provider.ts';

export interface EmbeddedKeyringOptions extends Pick<KeyringOptions, 'cacheSize' | 'cacheMaxAgeMs' | 'now'> {
  /** A provider to use instead of the KEK from the environment or file (e.g. a KmsKeyProvider). */
  readonly provider?: KeyProvider;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the key files are. @default env `SYMPHAINY_KEY_DIR`, else `<dataDir>/keys` */
  readonly keyDir?: string;
}

/**
 * The embedded default: data keys in `<dataDir>/keys/`, one file each,
 * wrapped by a KEK taken from, in order:
 *   1. `options.provider`;
 *   2. the env var `SYMPHAINY_KEK` (KEK text: `id:base64`, comma-separated, first current);
 *   3. the file named by `SYMPHAINY_KEK_FILE`;
 *   4. `kek` beside the key directory (`<dataDir>/kek`), created with a random
 *      KEK on first use (mode 0600) — but never while the key directory
 *      already holds wrapped keys: a lost KEK file is refused, not replaced.
 *
 * The fourth keeps "zero set-up": erasure by key destruction works with it,
 * but anyone who copies the whole data dir has the KEK too. Servers should
 * set 2 or 3 from a secret manager, or use KMS.
 * @throws ConfigError for an unreadable or malformed KEK; KeyUnavailableError when the KEK does not unwrap the store's keys.
 */
export async function openEmbeddedKeyring(dataDir: string, options: EmbeddedKeyringOptions = {}): Promise<Keyring> {
  const env = options.env ?? process.env;
  const keyDir = options.keyDir ?? env.SYMPHAINY_KEY_DIR ?? join(dataDir, 'keys');
  // The directory first (created with its parents): the default KEK file lives beside it.
  const store = await FileKeyStore.open(keyDir);
  const provider =
    options.provider ??
    (env.SYMPHAINY_KEK
      ? LocalKekProvider.fromEnv('SYMPHAINY_KEK', env)
      : env.SYMPHAINY_KEK_FILE
        ? await LocalKekProvider.fromFile(env.SYMPHAINY_KEK_FILE)
        : await defaultKekFile(join(dirname(keyDir), 'kek'), keyDir));
  return Keyring.open({ store, provider, cacheSize: options.cacheSize, cacheMaxAgeMs: options.cacheMaxAgeMs, now: options.now });
}

/** The zero-set-up KEK file, created only while no wrapped key exists that an earlier KEK made. */
async function defaultKekFile(path: string, keyDir: string): Promise<LocalKekProvider> {
  if (!(await exists(path))) {
    const names = await readdir(keyDir).catch(() => [] as string[]);
    const wrapped = names.filter((n) => n.endsWith('.key'));
    if (wrapped.length > 0) {
      throw new ConfigError(
        `the key-encryption key file ${path} is missing, but ${keyDir} holds ${wrapped.length} wrapped key${wrapped.length > 1 ? 's' : ''}: ` +
          'restore the KEK file (or set SYMPHAINY_KEK / SYMPHAINY_KEK_FILE); a new KEK would not unwrap them',
      );
    }
  }
  return ensureKekFile(path);
}

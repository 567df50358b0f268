import { join } from 'node:path';
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
}

/**
 * The embedded default: data keys in `<dataDir>/keys/`, one file each,
 * wrapped by a KEK taken from, in order:
 *   1. `options.provider`;
 *   2. the env var `SYMPHAINY_KEK` (KEK text: `id:base64`, comma-separated, first current);
 *   3. the file named by `SYMPHAINY_KEK_FILE`;
 *   4. `<dataDir>/kek`, created with a random KEK on first use (mode 0600).
 *
 * The fourth keeps "zero set-up": erasure by key destruction works with it,
 * but anyone who copies the whole data dir has the KEK too. Servers should
 * set 2 or 3 from a secret manager, or use KMS.
 * @throws ConfigError for an unreadable or malformed KEK; KeyUnavailableError when the KEK does not unwrap the store's keys.
 */
export async function openEmbeddedKeyring(dataDir: string, options: EmbeddedKeyringOptions = {}): Promise<Keyring> {
  const env = options.env ?? process.env;
  const provider =
    options.provider ??
    (env.SYMPHAINY_KEK
      ? LocalKekProvider.fromEnv('SYMPHAINY_KEK', env)
      : env.SYMPHAINY_KEK_FILE
        ? await LocalKekProvider.fromFile(env.SYMPHAINY_KEK_FILE)
        : await ensureKekFile(join(dataDir, 'kek')));
  const store = await FileKeyStore.open(join(dataDir, 'keys'));
  return Keyring.open({ store, provider, cacheSize: options.cacheSize, cacheMaxAgeMs: options.cacheMaxAgeMs, now: options.now });
}

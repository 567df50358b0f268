import type { ContentCipher } from '../crypto/content-cipher.ts';
import { openEmbeddedKeyring } from '../crypto/embedded-keyring.ts';
import { Envelope } from '../crypto/envelope.ts';
import type { KeyProvider } from '../crypto/key-provider.ts';
import { Keyring } from '../crypto/keyring.ts';
import { LocalKekProvider, newKekLine, parseKekText } from '../crypto/local-kek/local-kek-provider.ts';
import { MemoryKeyStore } from '../crypto/memory-key-store.ts';
import type { CompiledRuntimeOptions } from '../options/compile-runtime-options.ts';
import type { PlatformPolicy } from '../policy/platform-policy.ts';

/** What a runtime seals tenant content with: the cipher handed to every writer, and the keyring behind it (erasure, rotation). */
export interface OpenedCipher {
  readonly cipher: ContentCipher;
  readonly keyring: Keyring;
}

/**
 * Opens the runtime's content cipher, or null with encryption off.
 *
 * - a key directory given (`keyDir`, `SYMPHAINY_KEY_DIR`), an embedded data
 *   dir (`<dataDir>/keys`) or a server reached by URL (`<dataDir>/keys` of the
 *   process, unless a key directory is given): wrapped keys there, one file each; the KEK from
 *   `SYMPHAINY_KEK`, `SYMPHAINY_KEK_FILE`, else `kek` beside the key
 *   directory (created on first use; refused when it is missing while
 *   wrapped keys exist). Processes sharing a PostgreSQL server share the key
 *   directory and KEK, and trust cached keys for 5 s (another process's
 *   erasure is seen within that);
 * - `memory`, or a database handed in (`db` option), without a key
 *   directory: keys in memory, gone on close like the data;
 * - `keyProvider` (e.g. a KmsKeyProvider) wraps instead of the local KEK.
 *
 * Subjects: the platform policy's `subjects:` (the same for every tenant).
 * @throws ConfigError for a malformed or missing KEK, an unusable key directory; KeyUnavailableError when the KEK does not unwrap the keys.
 */
export async function openCipher(
  o: CompiledRuntimeOptions, store: 'embedded' | 'server' | 'given', platform: PlatformPolicy | undefined, provider: KeyProvider | undefined,
  env: NodeJS.ProcessEnv = process.env, givenDb?: object,
): Promise<OpenedCipher | null> {
  if (!o.encryption) return null;
  const shared = store !== 'embedded';
  const keyring = o.keyDir === undefined && (o.memory || store === 'given')
    ? await memoryKeyring(store === 'given' ? givenDb : o.databaseUrl, provider)
    : await openEmbeddedKeyring(o.dataDir, {
      env, ...(o.keyDir !== undefined ? { keyDir: o.keyDir } : {}), ...(provider ? { provider } : {}),
      ...(shared ? { cacheMaxAgeMs: 5_000 } : {}),
    });
  const subjects = Object.freeze([...(platform?.subjects ?? [])]);
  return { keyring, cipher: { envelope: new Envelope(keyring), subjectNames: () => subjects } };
}

/**
 * In-memory keys live as long as the database they seal for: runtimes of
 * this process on the same database (the same `db` object, or the same
 * server URL with `memory`) share one keyring, so each opens what the
 * others sealed. A database of its own (`memory` alone) gets its own.
 */
const memoryKeyrings = new WeakMap<object, Promise<Keyring>>();
const memoryKeyringsByUrl = new Map<string, Promise<Keyring>>();

function memoryKeyring(database: object | string | undefined, provider: KeyProvider | undefined): Promise<Keyring> {
  const make = () => Keyring.open({ store: new MemoryKeyStore(), provider: provider ?? new LocalKekProvider(parseKekText(newKekLine(), 'memory'), 'memory') });
  if (database === undefined || provider) return make();
  const found = typeof database === 'string' ? memoryKeyringsByUrl.get(database) : memoryKeyrings.get(database);
  if (found) return found;
  const made = make();
  if (typeof database === 'string') memoryKeyringsByUrl.set(database, made);
  else memoryKeyrings.set(database, made);
  return made;
}

import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '../errors/index.ts';
import type { Runtime } from '../runtime/create-runtime.ts';

/** The tenant `serve --demo` creates and prints a key for. */
export const DEMO_TENANT = 'demo';

/** File in the data dir that keeps the demo key's plaintext between starts (mode 0600). */
export const DEMO_KEY_FILE = 'demo-api-key';

/** The key `serve --demo` prints, and whether it is the one printed last time. */
export interface DemoKey {
  apiKey: string;
  keyId: string;
  /** True when the key from the last start was still valid and is printed again. */
  reused: boolean;
  /** Key ids of earlier demo keys revoked because a new one was issued. */
  revoked: string[];
  /** Where the plaintext is kept between starts (null on a server store: there is no data dir). */
  file: string | null;
}

/**
 * The demo tenant's key, at most one valid at a time. On the embedded store
 * the plaintext is kept in `<dataDir>/demo-api-key` (0600, beside the
 * database that can be read anyway) and printed again on the next start
 * while it is still valid, so an `export KEY=…` in another terminal keeps
 * working across restarts. When there is no valid kept key — first start,
 * the file deleted, the key revoked, or a server store with no data dir —
 * a new key is issued and every earlier key of tenant `demo` is revoked.
 * @throws StoreError when the store cannot be read or written.
 */
export async function demoKey(runtime: Runtime): Promise<DemoKey> {
  const file = runtime.dataDir ? join(runtime.dataDir, DEMO_KEY_FILE) : null;
  if (file) {
    const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
    const who = kept ? await runtime.tenants.authenticate(kept) : null;
    if (who && who.tenantId === DEMO_TENANT) return { apiKey: kept, keyId: who.keyId, reused: true, revoked: [], file };
  }
  const issued = await runtime.tenants.create(DEMO_TENANT).catch(async (err: unknown) => {
    if (err instanceof ConflictError) return runtime.tenants.issueKey(DEMO_TENANT);
    throw err;
  });
  const revoked: string[] = [];
  for (const k of await runtime.tenants.keys(DEMO_TENANT)) {
    if (k.keyId === issued.keyId || k.revokedAt) continue;
    await runtime.tenants.revokeKey(k.keyId);
    revoked.push(k.keyId);
  }
  if (file) {
    await writeFile(file, `${issued.apiKey}\n`, { mode: 0o600 });
    await chmod(file, 0o600); // the mode above applies only when the file is created
  }
  return { apiKey: issued.apiKey, keyId: issued.keyId, reused: false, revoked, file };
}

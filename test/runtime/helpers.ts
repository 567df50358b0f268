/** Helpers shared by the runtime suites (not a test file). */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from '../../src/intent/execution-context.ts';
import { ANY_TENANT, type Db, type ExecutionRecord, type ExecutionState, type Realm, type WalRecord } from '../../src/index.ts';
import { normalizeResult, type NormalizedResult } from '../../src/realm/normalize-result.ts';

/** A fresh tenant (or session) id, so tests never see each other's rows. */
export const uid = (prefix = 't'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every regular file under `root`, as `/`-separated paths relative to it (sorted). */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(root.length + 1).split(/[\\/]/).join('/'))
    .sort();
}

/** A blob store key as a file under `root`. */
export const blobFile = (root: string, key: string): string => join(root, ...key.split('/'));

/** The parameters of `examples/<name>.json`. */
export async function example(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/**
 * What a realm returns for `params`, computed by calling its handler directly
 * (the example realms are deterministic): the reference the stored bytes and
 * semantic payloads are compared with.
 */
export async function directResult(realm: Realm, intent: string, params: unknown): Promise<NormalizedResult> {
  const def = realm.intents[intent];
  if (!def) throw new Error(`no intent ${realm.name}.${intent}`);
  const schema = def.params as { parse(x: unknown): unknown } | undefined;
  const ctx: ExecutionContext = {
    executionId: 'direct', intentId: 'direct', intentType: `${realm.name}.${intent}`, tenantId: 'direct',
    sessionId: 'direct', realm: realm.name, signal: new AbortController().signal, deadline: Number.MAX_SAFE_INTEGER,
    recordUsage: () => Promise.reject(new Error('recordUsage: no runtime behind a direct call')),
    emit: () => Promise.reject(new Error('emit: no runtime behind a direct call')),
    // Called directly: steps just run; waits have no runtime to resume them.
    step: async (_name, fn) => fn(), sleep: () => Promise.reject(new Error('no waits outside a runtime')),
    waitFor: () => Promise.reject(new Error('no waits outside a runtime')), approval: () => Promise.reject(new Error('no waits outside a runtime')),
  };
  return normalizeResult(await def.handler(schema ? schema.parse(params) : params, ctx));
}

/** The state surface of a finished execution (narrowed from the `{}` of a running one). */
export function stateOf(e: ExecutionRecord): ExecutionState {
  const s = e.state as Partial<ExecutionState>;
  if (!s.semantic || !s.references) throw new Error(`execution ${e.executionId} has no state (status ${e.status})`);
  return s as ExecutionState;
}

/** `from→to` of the state transitions among `records`, in WAL order. */
export function journeyOf(records: readonly WalRecord[]): string[] {
  return records
    .filter((r) => r.recordType === 'state_transition')
    .map((r) => `${String(r.payload.from)}→${String(r.payload.to)}`);
}

/** Resolves when `predicate` holds (checked every 5 ms), or rejects after `ms`. For waiting on a handler to start. */
export async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A count over every tenant's rows (an operator's read: tenant tables admit rows only under a scope). */
export async function count(db: Db, sql: string, params: readonly unknown[] = []): Promise<number> {
  const rows = await db.scoped(ANY_TENANT).query<{ n: number | string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

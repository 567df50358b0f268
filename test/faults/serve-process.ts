/**
 * `symphainy serve` as a child process for the fault suites: started with
 * the test realm, a tenant created through the admin API, intents posted the
 * way a client does, and every outcome classified.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');
export const workRealm = join(root, 'test/fixtures/work-realm.mjs');
export const ADMIN_KEY = 'fault-suite-admin-key-0123456789abcdefghijkl';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly key: string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** The key store variables a run of the suites shares (package.json `test:postgres`). */
const SHARED_KEYS = new Set(['SYMPHAINY_KEY_DIR', 'SYMPHAINY_KEK']);

/** The environment without the caller's SYMPHAINY_* settings (but the shared key store's), plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // The shared key store stays: processes on one PostgreSQL server open each other's sealed records.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_') || SHARED_KEYS.has(k)) env[k] = v;
  return { ...env, SYMPHAINY_LOG_LEVEL: 'warn', SYMPHAINY_ADMIN_KEY: ADMIN_KEY, ...extra };
}

/** Starts serve (`--port 0`, the work realm) and waits for its URL (a generous guard, not a timing expectation). */
export async function startServe(args: string[], env: Record<string, string> = {}, options: { tenant?: string } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--realm', workRealm, ...args], {
    cwd: root,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let err = '';
  child.stdout!.resume();
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const deadline = Date.now() + 180_000;
  let url: string | undefined;
  for (;;) {
    url = /SymphAIny API on (http:\/\/[^\s]+) /.exec(err)?.[1];
    if (url) break;
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const tenant = options.tenant ?? 'acme';
  const created = await fetch(`${url}/v1/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: tenant }),
  });
  let key: string;
  if (created.status === 201) key = ((await created.json()) as { apiKey: string }).apiKey;
  else {
    const issued = await fetch(`${url}/v1/admin/tenants/${tenant}/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    if (issued.status !== 201) throw new Error(`cannot get a key: ${issued.status} ${await issued.text()}`);
    key = ((await issued.json()) as { apiKey: string }).apiKey;
  }
  return { child, url, key, stderr: () => err, exited, kill: (s) => child.kill(s) };
}

/** What the client learned about one intent. */
export type Outcome =
  | { kind: 'acknowledged'; n: number; executionId: string }
  | { kind: 'refused'; n: number; status: number; code: string }
  | { kind: 'unexpected'; n: number; detail: string };

/** Error codes a client may get during an outage: retryable, clearly named. */
export const CLEAR_FAILURES = new Set(['SYM_ERR_STORE', 'SYM_ERR_RUNTIME_CLOSED', 'SYM_ERR_INTERRUPTED']);

/** Posts `work.item` n (intent id `item-<n>`), synchronously; a reply that never comes within `timeoutMs` is `unexpected`. */
export async function postItem(s: Pick<ServeProcess, 'url' | 'key'>, n: number, ms: number, timeoutMs = 90_000): Promise<Outcome> {
  let res: Response;
  try {
    res = await fetch(`${s.url}/v1/intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ intentType: 'work.item', sessionId: 'faults', intentId: `item-${n}`, parameters: { n, ms } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { kind: 'unexpected', n, detail: `no reply: ${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}` };
  }
  const text = await res.text().catch((err: Error) => `(body lost: ${err.message})`);
  let body: { status?: string; code?: string; executionId?: string; error?: { code?: string } };
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'unexpected', n, detail: `${res.status} ${text.slice(0, 200)}` };
  }
  if (res.status === 200 && body.status === 'completed' && body.executionId) return { kind: 'acknowledged', n, executionId: body.executionId };
  const code = body.code ?? body.error?.code ?? '';
  if (CLEAR_FAILURES.has(code)) return { kind: 'refused', n, status: res.status, code };
  return { kind: 'unexpected', n, detail: `${res.status} ${text.slice(0, 300)}` };
}

/** `concurrency` clients posting items back to back until `stop()` resolves; returns every outcome. */
export async function load(
  s: Pick<ServeProcess, 'url' | 'key'>,
  o: { concurrency: number; ms: number; firstN: number; until: Promise<unknown> },
): Promise<Outcome[]> {
  let next = o.firstN;
  let done = false;
  void o.until.then(() => (done = true));
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (!done) outcomes.push(await postItem(s, next++, o.ms));
    }),
  );
  return outcomes;
}

/** Polls `GET /readyz` until `want` (a status code); returns the last body. Bounded by `timeoutMs`. */
export async function waitForReady(url: string, want: number, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(30_000) }).catch(() => null);
    const text = res ? await res.text() : '';
    if (res?.status === want) return text;
    if (Date.now() > deadline) throw new Error(`/readyz did not answer ${want} within ${timeoutMs} ms (last: ${res?.status} ${text})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Queues `work.item` n (`?mode=async`) and polls the execution until it is terminal; returns its status. */
export async function submitAndWait(s: Pick<ServeProcess, 'url' | 'key'>, n: number, timeoutMs = 120_000): Promise<string> {
  const headers = { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' };
  const res = await fetch(`${s.url}/v1/intents?mode=async`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ intentType: 'work.item', sessionId: 'faults', intentId: `item-${n}`, parameters: { n, ms: 0 } }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as { executionId?: string };
  if (res.status !== 202 || !body.executionId) throw new Error(`submit: ${res.status} ${JSON.stringify(body)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = (await (await fetch(`${s.url}/v1/executions/${body.executionId}`, { headers, signal: AbortSignal.timeout(60_000) })).json()) as { status: string };
    if (e.status === 'completed' || e.status === 'failed' || Date.now() > deadline) return e.status;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the server has recorded at least `count` executions (so they are in flight, not queued in a socket). */
export async function waitRecorded(s: Pick<ServeProcess, 'url' | 'key'>, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${s.url}/v1/executions?limit=100`, { headers: { authorization: `Bearer ${s.key}` } }).catch(() => null);
    if (res?.ok) {
      const body = (await res.json()) as { items: unknown[] };
      if (body.items.length >= count) return;
    }
    if (Date.now() > deadline) throw new Error(`fewer than ${count} executions recorded after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The key store this test process shares with the processes it spawns: the
 * run's (`test:postgres` exports SYMPHAINY_KEY_DIR and SYMPHAINY_KEK), else a
 * fresh one set here before any process starts. Returns an opener for sealed
 * record fields, for tests that read rows with their own database client.
 */
export async function sharedKeyOpener(): Promise<(value: unknown, tenantId: string, record: string, field: string) => Promise<unknown>> {
  const [{ mkdtemp }, { tmpdir }, { randomBytes }, { openEmbeddedKeyring }, { Envelope }, { isSealedText }] = await Promise.all([
    import('node:fs/promises'), import('node:os'), import('node:crypto'), import('../../src/crypto/embedded-keyring.ts'),
    import('../../src/crypto/envelope.ts'), import('../../src/store/record-cipher.ts'),
  ]);
  process.env.SYMPHAINY_KEY_DIR ??= await mkdtemp(join(tmpdir(), 'symphainy-test-keys-'));
  process.env.SYMPHAINY_KEK ??= randomBytes(32).toString('base64');
  let envelope: InstanceType<typeof Envelope> | undefined;
  return async (value, tenantId, record, field) => {
    if (!isSealedText(value)) return value;
    envelope ??= new Envelope(await openEmbeddedKeyring(process.env.SYMPHAINY_KEY_DIR!));
    return JSON.parse(await envelope.openText(value, { tenantId, record, field }));
  };
}

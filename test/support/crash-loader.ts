/**
 * A load process for the SIGKILL fault suite: opens a runtime (embedded data
 * dir, or a PostgreSQL database) with the `crash.note` realm, prints `READY`,
 * sends the keys it was told to send again (as a client retrying the same
 * Idempotency-Key), then new intents with `concurrency` in flight, until it is
 * killed. Each line on stdout is written when it happened:
 *   SEND <key>                          before the intent is handed to the runtime
 *   ACK <key> <executionId> <status>    after the runtime answered
 *   ERR <key> <code>                    the runtime threw
 * The handler appends its key to the side-effect file (synchronously, before
 * it returns), so the suite can count handler runs per key. Every fourth
 * intent has a rendering over the inline threshold, so it also writes a blob.
 *
 * argv[2]: JSON {@link LoaderArgs}.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createRuntime, defineRealm, FsBlobStore, parseSolutionConfig, rendering, type RuntimeOptions } from '../../src/index.ts';

export interface LoaderArgs {
  readonly store: 'pglite' | 'postgres';
  /** Embedded: the runtime's data dir. Both: blobs live in `<dir>/blobs`. */
  readonly dir: string;
  readonly databaseUrl?: string;
  readonly round: number;
  readonly resend: readonly string[];
  readonly sideEffects: string;
  readonly concurrency: number;
}

export const TENANT = 'acme';
export const INTENT_TYPE = 'crash.note';

/** The realm; `sideEffects` is the file each handler run appends its key to. */
export function crashRealm(sideEffects: string) {
  return defineRealm({
    name: 'crash',
    intents: {
      note: {
        handler: (params: { key: string; big: boolean }) => {
          appendFileSync(sideEffects, `${params.key}\n`);
          const body = params.big ? 'b'.repeat(20 * 1024) : `note ${params.key}`;
          return {
            artifacts: { note: { resultType: 'note', semanticPayload: { key: params.key }, renderings: { md: rendering(body, 'text/markdown') } } },
            events: [{ type: 'noted', data: { key: params.key } }],
          };
        },
      },
    },
  });
}

/** The runtime options both the loader and the suite's recovery open the store with. */
export function crashRuntimeOptions(args: Pick<LoaderArgs, 'store' | 'dir' | 'databaseUrl' | 'sideEffects'>): RuntimeOptions {
  return {
    realms: [crashRealm(args.sideEffects)],
    solutionConfig: parseSolutionConfig({ name: 'crash', materialization_policy: { note: 'persist' } }, 'crash'),
    logger: pino({ level: 'silent' }),
    ...(args.store === 'pglite'
      ? { dataDir: args.dir }
      // A short lease, so the recovery after the last kill need not wait long for in-flight executions.
      : { databaseUrl: args.databaseUrl!, leaseMs: 2000, blobStore: new FsBlobStore({ root: join(args.dir, 'blobs') }) }),
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as LoaderArgs;
  const runtime = await createRuntime(crashRuntimeOptions(args));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const send = async (key: string, n: number) => {
    say(`SEND ${key}`);
    try {
      const r = await runtime.execute({ intentId: key, intentType: INTENT_TYPE, tenantId: TENANT, sessionId: 'crash-session', parameters: { key, big: n % 4 === 3 } });
      say(`ACK ${key} ${r.executionId} ${r.status}`);
    } catch (err) {
      say(`ERR ${key} ${(err as { code?: string }).code ?? (err as Error).message.replace(/\s+/g, '_')}`);
    }
  };
  say('READY');
  await Promise.all(args.resend.map((key, n) => send(key, n)));
  let next = 0;
  const lane = async () => {
    for (;;) {
      const n = next++;
      await send(`r${args.round}-${n}`, n);
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, lane));
}

if (process.argv[2]) await main();

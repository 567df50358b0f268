/**
 * The cost of encryption at rest on executions: the same runtime with
 * `encryption: false` and with it on (the default), at c=64, measured in
 * alternating rounds in one run so both see the same machine load. Target:
 * at most 10% fewer executions per second with it on.
 *
 * Run alone: `node --import tsx bench/encryption.ts [--smoke]`; part of `npm run bench`.
 */
import { fileURLToPath } from 'node:url';
import { openRuntime, pairedRounds, type ExecutionFigures, type StoreKind } from './executions.ts';

export interface EncryptionFigures {
  readonly store: StoreKind;
  readonly concurrency: number;
  readonly off: ExecutionFigures;
  readonly on: ExecutionFigures;
}

/** Encryption off against on, on one store (a server database each when `urls` are given). */
export async function encryptionBench(
  store: StoreKind, size: { total: number; rounds: number; warmup: number }, urls?: { off: string; on: string },
): Promise<EncryptionFigures> {
  const off = await openRuntime(store, urls?.off, { encryption: false });
  const on = await openRuntime(store, urls?.on, { encryption: true });
  try {
    const [offFigures, onFigures] = await pairedRounds(off.runtime, on.runtime, { total: size.total, concurrency: 64, rounds: size.rounds, warmup: size.warmup });
    return { store, concurrency: 64, off: offFigures, on: onFigures };
  } finally {
    await off.close();
    await on.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const smoke = process.argv.includes('--smoke');
  const f = await encryptionBench('pglite', smoke ? { total: 64, rounds: 1, warmup: 8 } : { total: 512, rounds: 5, warmup: 64 });
  const [off, on] = [f.off.execPerSec.median, f.on.execPerSec.median];
  process.stdout.write(`PGlite, c=64: encryption off ${off.toFixed(0)} exec/s, on ${on.toFixed(0)} exec/s (${((1 - on / off) * 100).toFixed(1)}% cost)\n`);
}

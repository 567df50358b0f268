/**
 * Artifact store throughput for 1 MB renderings, in MB/s: what the runtime does
 * for a persist decision (ArtifactStorage.storeCompositeArtifact over a
 * FsBlobStore: hash, exists, atomic write + fsync, manifest) and the blob
 * store's write alone, against raw `writeFile` + fsync of the same bytes to
 * the same disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../src/index.ts';
import { ArtifactStorage } from '../src/artifacts/artifact-storage.ts';
import { measure, nowMs, type Measure } from './stats.ts';

export interface ArtifactFigures {
  readonly renderingBytes: number;
  readonly storeCompositeMBps: Measure;
  readonly blobPutMBps: Measure;
  readonly rawWriteFsyncMBps: Measure;
  readonly note: string;
}

const MB = 1024 * 1024;

export async function artifactBench(opts: { rounds: number; writes: number }): Promise<ArtifactFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-artifacts-'));
  const base = randomBytes(MB);
  let serial = 0;
  /** Distinct bytes for every write, so content addressing never skips one. */
  const nextBytes = () => {
    const b = Buffer.from(base);
    b.writeUInt32LE(serial++, 0);
    return b;
  };
  try {
    const blobs = new FsBlobStore({ root: join(dir, 'blobs') });
    const storage = new ArtifactStorage(blobs);
    const rawDir = join(dir, 'raw');
    await (await import('node:fs/promises')).mkdir(rawDir, { recursive: true });
    const composite = async () => {
      await storage.storeCompositeArtifact('visual', [{ name: 'png', contentType: 'image/png', bytes: nextBytes() }], 'acme', { bench: true });
    };
    const put = async () => {
      await blobs.put(`tenants/acme/put/${serial}`, nextBytes());
    };
    const raw = async () => {
      const fh = await open(join(rawDir, String(serial)), 'w');
      try {
        await fh.writeFile(nextBytes());
        await fh.sync();
      } finally {
        await fh.close();
      }
    };
    const rate = async (fn: () => Promise<void>) => {
      const t0 = nowMs();
      for (let k = 0; k < opts.writes; k++) await fn();
      return opts.writes / ((nowMs() - t0) / 1000);
    };
    for (const fn of [composite, put, raw]) for (let k = 0; k < 3; k++) await fn(); // warm-up
    const s = { composite: [] as number[], put: [] as number[], raw: [] as number[] };
    // Interleaved, so drift of the disk or the machine hits all three alike.
    for (let r = 0; r < opts.rounds; r++) {
      s.raw.push(await rate(raw));
      s.composite.push(await rate(composite));
      s.put.push(await rate(put));
    }
    return {
      renderingBytes: MB,
      storeCompositeMBps: measure(s.composite),
      blobPutMBps: measure(s.put),
      rawWriteFsyncMBps: measure(s.raw),
      note: `temp dir ${tmpdir()}; ${opts.writes} writes of 1 MiB per round; MB = MiB`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

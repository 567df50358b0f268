/**
 * Micro-benchmark of the crypto core (src/crypto): seal/open throughput for
 * 1 KB and 1 MB values, the cost of combining scope keys (HKDF, the chosen
 * design) against layered encryption (the alternative), keyed hashes, and
 * the key store's cold paths (first use of a scope creates and fsyncs a key
 * file; a cache miss reads and unwraps one).
 *
 *   node --import tsx bench/crypto.ts            full run (about a minute)
 *   node --import tsx bench/crypto.ts --smoke    tiny, seconds
 *   node --import tsx bench/crypto.ts --json     figures as JSON on stdout
 *
 * Not part of `npm run bench` yet: it measures the primitives; the cost at
 * c=64 on the write path is measured once encryption is wired in.
 * Several rounds each; medians reported.
 */
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Envelope, FileKeyStore, Keyring, LocalKekProvider, type Cover, type RecordRef } from '../src/crypto/index.ts';

const argv = process.argv.slice(2);
const SMOKE = argv.includes('--smoke');
const JSON_OUT = argv.includes('--json');
const ROUNDS = SMOKE ? 1 : 5;
const KB = 1024;
const MB = 1024 * 1024;

interface Figure {
  name: string;
  /** Median operations per second. */
  opsPerSec: number;
  /** Median MB/s of payload (0 where there is no payload). */
  mbPerSec: number;
  /** Median microseconds per operation. */
  usPerOp: number;
}

const figures: Figure[] = [];

async function measure(name: string, bytes: number, iterations: number, op: (i: number) => unknown): Promise<void> {
  const n = SMOKE ? Math.max(1, Math.ceil(iterations / 50)) : iterations;
  for (let i = 0; i < Math.min(n, 20); i++) await op(i); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9 / n);
  }
  samples.sort((a, b) => a - b);
  const s = samples[Math.floor(samples.length / 2)]!;
  figures.push({ name, opsPerSec: 1 / s, mbPerSec: bytes ? bytes / MB / s : 0, usPerOp: s * 1e6 });
}

const dir = await mkdtemp(join(tmpdir(), 'sym-bench-crypto-'));
try {
  const provider = new LocalKekProvider([{ id: 'kek-bench', key: randomBytes(32) }]);
  const keyring = await Keyring.open({ store: await FileKeyStore.open(join(dir, 'keys')), provider });
  const env = new Envelope(keyring);
  const ref: RecordRef = { tenantId: 'acme', record: 'execution:exe_bench', field: 'result' };
  const one: Cover = { tenantId: 'acme' };
  const three: Cover = { tenantId: 'acme', sessionId: 'sess-1', subjects: [{ name: 'customer_id', value: '42' }] };
  const v1k = randomBytes(KB);
  const v1m = randomBytes(MB);

  // Floors: AES-256-GCM alone with a fixed key, no derivation, no header.
  const fixedKey = randomBytes(32);
  const gcm = (data: Buffer) => {
    const c = createCipheriv('aes-256-gcm', fixedKey, randomBytes(12));
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  };
  await measure('floor: AES-256-GCM only, 1 KB', KB, 20_000, () => gcm(v1k));
  await measure('floor: AES-256-GCM only, 1 MB', MB, 200, () => gcm(v1m));

  // Key combination: the chosen HKDF versus layered encryption (one GCM pass per scope key).
  const keys3 = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const salt = randomBytes(16);
  await measure('derive: HKDF-SHA256, 1 scope key', 0, 50_000, () => hkdfSync('sha256', keys3[0]!, salt, 'info', 32));
  await measure('derive: HKDF-SHA256, 3 scope keys', 0, 50_000, () => hkdfSync('sha256', Buffer.concat(keys3), salt, 'info', 32));
  const layered = (data: Buffer) => {
    let out = data;
    for (const k of keys3) {
      const c = createCipheriv('aes-256-gcm', k, randomBytes(12));
      out = Buffer.concat([c.update(out), c.final(), c.getAuthTag()]);
    }
    return out;
  };
  await measure('alternative: layered GCM, 3 keys, 1 KB', KB, 20_000, () => layered(v1k));
  await measure('alternative: layered GCM, 3 keys, 1 MB', MB, 100, () => layered(v1m));

  // The envelope (keys cached, as on the hot path).
  const s1k1 = await env.seal(v1k, one, ref);
  const s1k3 = await env.seal(v1k, three, ref);
  const s1m3 = await env.seal(v1m, three, ref);
  await measure('seal 1 KB, tenant key', KB, 20_000, () => env.seal(v1k, one, ref));
  await measure('open 1 KB, tenant key', KB, 20_000, () => env.open(s1k1, ref));
  await measure('seal 1 KB, tenant+session+subject', KB, 20_000, () => env.seal(v1k, three, ref));
  await measure('open 1 KB, tenant+session+subject', KB, 20_000, () => env.open(s1k3, ref));
  await measure('seal 1 MB, tenant+session+subject', MB, 200, () => env.seal(v1m, three, ref));
  await measure('open 1 MB, tenant+session+subject', MB, 200, () => env.open(s1m3, ref));
  await measure('keyed hash 1 KB, tenant+session+subject', KB, 20_000, () => env.keyedHash(v1k, three, 'bench'));
  await measure('floor: HMAC-SHA256 1 KB, fixed key', KB, 20_000, () => createHmac('sha256', fixedKey).update(v1k).digest());

  // Cold paths: a new scope (key generated, wrapped, file created and fsynced) and a cache miss (file read, unwrap).
  await measure('first use of a scope (create key file)', 0, 200, (i) => keyring.activeKey({ kind: 'session', tenantId: 'acme', sessionId: `cold-${i}-${Math.random()}` }));
  const cold = await Keyring.open({ store: await FileKeyStore.open(join(dir, 'keys')), provider, cacheSize: 1 });
  const coldEnv = new Envelope(cold);
  const alternating = [await env.seal(v1k, { tenantId: 'a1' }, { ...ref, tenantId: 'a1' }), await env.seal(v1k, { tenantId: 'a2' }, { ...ref, tenantId: 'a2' })];
  await measure('open 1 KB with a key-cache miss (read + unwrap)', KB, 2_000, (i) => coldEnv.open(alternating[i % 2]!, { ...ref, tenantId: `a${(i % 2) + 1}` }));

  if (JSON_OUT) process.stdout.write(`${JSON.stringify({ smoke: SMOKE, rounds: ROUNDS, node: process.version, figures }, null, 2)}\n`);
  else {
    process.stdout.write(`crypto micro-benchmark (${SMOKE ? 'smoke' : `${ROUNDS} rounds, medians`}; node ${process.version})\n\n`);
    process.stdout.write('| measure | ops/s | MB/s | µs/op |\n| --- | ---: | ---: | ---: |\n');
    for (const f of figures) {
      process.stdout.write(`| ${f.name} | ${Math.round(f.opsPerSec).toLocaleString('en')} | ${f.mbPerSec ? f.mbPerSec.toFixed(0) : ''} | ${f.usPerOp.toFixed(1)} |\n`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

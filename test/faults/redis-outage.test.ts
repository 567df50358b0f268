/**
 * Redis down when the runtime starts: serve starts anyway, /readyz names the
 * degraded cache tier, and intents whose policy does not cache complete.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { postItem, startServe, waitForReady } from './serve-process.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';

/** A loopback port nothing listens on (a listener opened and closed again). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('Redis and S3 down at start', { skip: TEST_DRIVER === 'postgres' ? 'runs in the embedded pass (the store is not what fails here)' : false, timeout: 300_000 }, () => {
  test('serve starts with Redis and S3 unreachable, /readyz names cache:redis as degraded, intents complete', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-redis-down-'));
    // S3 down too: the blob store is not contacted until a rendering is persisted.
    const s = await startServe(
      ['--data-dir', dir, '--no-worker', '--cache', `redis://127.0.0.1:${await closedPort()}`, '--artifacts', 's3://bucket/prefix', '--s3-endpoint', `http://127.0.0.1:${await closedPort()}`],
      { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' },
    );
    try {
      const ready = JSON.parse(await waitForReady(s.url, 200)) as { status: string; parts: { name: string; status: string; detail?: string }[] };
      assert.equal(ready.status, 'degraded');
      const cache = ready.parts.find((p) => p.name === 'cache:redis');
      assert.equal(cache?.status, 'degraded', JSON.stringify(ready));
      assert.match(cache?.detail ?? '', /Redis at redis:\/\/127\.0\.0\.1:\d+ is /);
      const outcomes = await Promise.all(Array.from({ length: 5 }, (_, n) => postItem(s, n, 0)));
      assert.deepEqual(outcomes.filter((o) => o.kind !== 'acknowledged'), []);
      assert.match(s.stderr(), /Redis unreachable at start/);
    } finally {
      s.kill('SIGTERM');
      assert.equal(await s.exited, 0, s.stderr());
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { readStream, startNatsServer, type NatsTestServer } from '../support/nats-server.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3-server.ts';
import { SERVICES, skipUnlessNatsServerBinary, skipUnlessPostgres, skipUnlessRedis } from '../support/services.ts';
import { ANY_TENANT } from '../../src/db/tenant-scope.ts';
import { freshServerDb, type ServerTestDb } from '../support/test-runtime.ts';

/**
 * The scale-out quick start as a user runs it: `submit`, `worker` and
 * `executions show --wait` against PostgreSQL, with artifacts in S3, the cache
 * in Redis and events on NATS JetStream, all named in a runtime config file.
 */
const skip = (await skipUnlessPostgres()) || (await skipUnlessRedis()) || (await skipUnlessNatsServerBinary());

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

describe('symphainy on PostgreSQL + S3 + Redis + NATS', { skip, timeout: 120_000 }, () => {
  let db: ServerTestDb;
  let s3: S3Server;
  let nats: NatsTestServer;
  let dir: string;
  let configFile: string;
  const prefix = `symphainy-test-${process.pid}-${Date.now()}`;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };

  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, '--runtime-config', configFile, ...args], { cwd: root, env }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });

  before(async () => {
    db = await freshServerDb();
    s3 = await startS3Server();
    await s3.createBucket('artifacts');
    nats = await startNatsServer();
    dir = await mkdtemp(join(tmpdir(), 'symphainy-cli-services-'));
    configFile = join(dir, 'runtime.yaml');
    await writeFile(configFile, [
      `database_url: ${db.url}`,
      'artifacts: s3://artifacts/prod',
      `s3_endpoint: ${s3.endpoint}`,
      'inline_max_bytes: 0 # every rendering to S3, none kept in the database',
      `cache: ${SERVICES.redis}?prefix=${prefix}`,
      `events: ${nats.url}`,
      `data_dir: ${join(dir, 'data')}`,
      'worker:',
      '  concurrency: 2',
      '  poll_interval: 1s',
      '',
    ].join('\n'));
  });
  after(async () => {
    const redis = new Redis(SERVICES.redis);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await db?.close();
    await s3?.close();
    await nats?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('submit → worker → executions show --wait; artifacts read back from S3, cache entries from Redis, events on JetStream', async () => {
    const persisted = await cli(['submit', 'journey.sop_to_workflow', '--tenant', 'acme', '--params-file', 'examples/sop_to_workflow.json',
      '--config', 'config/mvp_materialization_policy.yaml']);
    assert.equal(persisted.code, 0, persisted.stderr);
    const executionId = persisted.stdout.trim();
    assert.match(executionId, /^[0-9a-f-]{36}$/);
    assert.match(persisted.stderr, /executions show .* --wait/);

    const worker = spawn(process.execPath, [bin, '--runtime-config', configFile, 'worker', '--config', 'config/mvp_materialization_policy.yaml'],
      { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      const shown = await cli(['executions', 'show', executionId, '--wait', '--wait-timeout', '60']);
      assert.equal(shown.code, 0, shown.stderr);
      const execution = JSON.parse(shown.stdout);
      assert.equal(execution.status, 'completed');
      const visual = execution.result.artifacts.find((a: { key: string }) => a.key === 'visual');
      assert.equal(visual.decision, 'persist');

      const svg = await cli(['artifacts', 'get', visual.artifactId, '--tenant', 'acme', '--rendering', 'svg']);
      assert.equal(svg.code, 0, svg.stderr);
      assert.match(svg.stdout, /^<svg/);
      assert.ok(s3.requests.some((r) => r.method === 'PUT' && r.url.startsWith('/artifacts/prod/tenants/acme/')), 'the blob went to S3');

      // A cache decision (the default policy caches nothing for this realm: ask for it with a solution config).
      const cacheConfig = join(dir, 'cache.yaml');
      await writeFile(cacheConfig, 'materialization_policy:\n  visual: { decision: cache, cache_ttl: 10m }\n');
      const ran = await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 'sx', '--params-file',
        'examples/sop_to_workflow.json', '--config', cacheConfig, '--json']);
      assert.equal(ran.code, 0, ran.stderr);
      const cached = await cli(['cache', 'get', '--tenant', 'acme', '--session', 'sx', '--json']);
      assert.equal(cached.code, 0, cached.stderr);
      assert.deepEqual(JSON.parse(cached.stdout).map((e: { artifactKey: string }) => e.artifactKey), ['visual']);
      const redis = new Redis(SERVICES.redis);
      try {
        assert.ok((await redis.keys(`${prefix}:*`)).length > 0, 'the cache entry is in Redis under the prefix');
      } finally {
        await redis.quit();
      }
    } finally {
      worker.kill('SIGTERM');
      assert.equal(await exited, 0);
    }

    // Every outbox event reached JetStream once.
    const ids = new Set((await db.scoped(ANY_TENANT).query<{ event_id: string }>('SELECT event_id FROM symphainy.outbox')).map((r) => r.event_id));
    const nc = await connect({ servers: nats.url });
    try {
      const messages = await readStream(nc, 'SYMPHAINY');
      assert.deepEqual(new Set(messages.map((m) => m.msgId)), ids);
      assert.equal(messages.length, ids.size);
    } finally {
      await nc.close();
    }
  });
});

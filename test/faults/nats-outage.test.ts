/**
 * NATS down when the runtime starts: serve starts anyway, /readyz names the
 * degraded sink, intents complete and their events wait in the outbox, and
 * every event reaches JetStream once (by id) after NATS starts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { readStream, startNatsServer } from '../support/nats-server.ts';
import { skipUnlessNatsServerBinary } from '../support/services.ts';
import { postItem, startServe, waitForReady } from './serve-process.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';

const skip = await skipUnlessNatsServerBinary();

describe('NATS down at start', { skip: TEST_DRIVER === 'postgres' ? 'runs in the embedded pass (the store is not what fails here)' : skip, timeout: 300_000 }, () => {
  test('serve starts, /readyz names the degraded sink, events wait in the outbox and are delivered once NATS returns', async () => {
    const nats = await startNatsServer();
    await nats.stop(); // down before the runtime starts
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-nats-down-'));
    const s = await startServe(['--data-dir', dir, '--no-worker', '--events', nats.url]);
    try {
      const ready = JSON.parse(await waitForReady(s.url, 200)) as { status: string; parts: { name: string; status: string; detail?: string }[] };
      assert.equal(ready.status, 'degraded');
      const sink = ready.parts.find((p) => p.name === 'events:nats');
      assert.equal(sink?.status, 'degraded', JSON.stringify(ready));
      assert.match(sink?.detail ?? '', /NATS at nats:\/\/127\.0\.0\.1:\d+ not connected.*events wait in the outbox/);

      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, n) => postItem(s, n, 0)));
      const acked = outcomes.filter((o) => o.kind === 'acknowledged');
      assert.equal(acked.length, 10, JSON.stringify(outcomes));

      await nats.start();
      const nc = await connect({ servers: nats.url });
      try {
        // Each execution publishes its lifecycle and realm events; wait until the stream has the realm ones.
        const deadline = Date.now() + 120_000;
        let messages: Awaited<ReturnType<typeof readStream>> = [];
        for (;;) {
          messages = await readStream(nc, 'SYMPHAINY').catch(() => []);
          // Payloads are sealed (encryption at rest): events are counted by their message ids.
          const done = new Set(messages.filter((m) => m.subject.endsWith('.work.done')).map((m) => m.msgId));
          if (done.size === 10) break;
          if (Date.now() > deadline) throw new Error(`only ${done.size} of 10 work.done events delivered\n${s.stderr().slice(-2000)}`);
          await sleep(300);
        }
        const ids = messages.map((m) => m.msgId);
        const duplicated = ids.length - new Set(ids).size;
        const workDone = messages.filter((m) => m.subject.endsWith('.work.done')).length;
        process.stderr.write(`# NATS down at start: 10 acknowledged, ${workDone} work.done events delivered, ${messages.length} events in all, duplicated ${duplicated}, lost ${10 - workDone}\n`);
        assert.equal(duplicated, 0);
        assert.equal(workDone, 10);
        const after = JSON.parse(await waitForReady(s.url, 200)) as { status: string };
        assert.equal(after.status, 'ready');
      } finally {
        await nc.close();
      }
    } finally {
      s.kill('SIGTERM');
      assert.equal(await s.exited, 0, s.stderr());
      await nats.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

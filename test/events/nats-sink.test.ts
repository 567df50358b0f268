import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, nanos, StorageType, type NatsConnection } from 'nats';
import { ConfigError, StoreError } from '../../src/errors/index.ts';
import { ANY_TENANT } from '../../src/db/tenant-scope.ts';
import { eventSubject, NatsEventSink } from '../../src/events/nats/nats-sink.ts';
import type { OutboxEvent } from '../../src/store/outbox.ts';
import { readStream, startNatsServer, type NatsTestServer } from '../support/nats-server.ts';
import { skipUnlessNatsServerBinary } from '../support/services.ts';
import { SOP_TEXT, testRuntime } from '../support/test-runtime.ts';

const skip = await skipUnlessNatsServerBinary();

/** A stream name and subject prefix of its own, so tests on one server never overlap. */
const fresh = () => {
  const id = randomUUID().slice(0, 8);
  return { stream: `T_${id}`, subjectPrefix: `t${id}` };
};

const event = (i: number, over: Partial<OutboxEvent> = {}): OutboxEvent => ({
  eventId: `ev-${randomUUID()}-${i}`,
  eventType: 'execution.completed',
  source: 'runtime',
  tenantId: 'acme.eu',
  sessionId: 's',
  executionId: `x-${i}`,
  payload: { i },
  createdAt: new Date().toISOString(),
  ...over,
});

describe('eventSubject', () => {
  test('a dot in the tenant id stays inside one token; dots in the event type separate tokens', () => {
    assert.equal(eventSubject('symphainy', { tenantId: 'acme.eu', eventType: 'execution.started' }), 'symphainy.acme%2Eeu.execution.started');
    assert.equal(eventSubject('symphainy', { tenantId: 'a', eventType: 'workflow.created' }), 'symphainy.a.workflow.created');
    assert.equal(eventSubject('p.q', { tenantId: 'a', eventType: 'x' }), 'p.q.a.x');
  });

  test('characters allowed in tenant ids other than the dot are kept', () => {
    assert.equal(eventSubject('s', { tenantId: 'org_1-a:b@c', eventType: 'e' }), 's.org_1-a:b@c.e');
  });

  test('wildcards, percent, whitespace and control characters are percent-encoded', () => {
    assert.equal(eventSubject('s', { tenantId: 't', eventType: 'a*b.>.c d.50%.tab\there\nz' }), 's.t.a%2Ab.%3E.c%20d.50%25.tab%09here%0Az');
    assert.equal(eventSubject('s', { tenantId: '*', eventType: 'e' }), 's.%2A.e');
    assert.equal(eventSubject('s', { tenantId: 'é\u00a0ü', eventType: 'e' }), 's.é%C2%A0ü.e');
  });

  test('never an empty token', () => {
    assert.equal(eventSubject('s', { tenantId: '', eventType: '' }), 's.%.%');
    assert.equal(eventSubject('s', { tenantId: 't', eventType: '.a..b.' }), 's.t.%.a.%.b.%');
    for (const type of ['', '.', 'a..b', ' ', '..']) {
      const tokens = eventSubject('s', { tenantId: 't', eventType: type }).split('.');
      assert.ok(tokens.every((t) => t.length > 0 && !/[\s*>]/.test(t)), `${JSON.stringify(type)} → ${tokens.join('.')}`);
    }
  });

  test('distinct tenants and event types never map to the same subject', () => {
    const pairs: [string, string][] = [
      ['a.b', 'c'], ['a', 'b.c'], ['a%2Eb', 'c'], ['a', 'b%2Ec'], ['a', 'b..c'], ['a', 'b.%.c'], ['a', 'b.%25.c'], ['', ''], ['%', ''],
    ];
    const subjects = pairs.map(([tenantId, eventType]) => eventSubject('s', { tenantId, eventType }));
    assert.equal(new Set(subjects).size, subjects.length, subjects.join('\n'));
  });
});

describe('NatsEventSink', { skip }, () => {
  let server: NatsTestServer;
  let nc: NatsConnection;
  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  test('500 events land once each, in order, on their subjects; re-sending the batch adds none', async () => {
    const names = fresh();
    const sink = await NatsEventSink.connect({ servers: server.url, ...names });
    try {
      const events = Array.from({ length: 500 }, (_, i) => event(i, { tenantId: i % 2 ? 'acme.eu' : 'beta' }));
      await sink.publish(events);
      await sink.publish(events); // what the relay does after a failure between publish and mark
      await sink.publish(events.slice(100, 150));
      const msgs = await readStream(nc, names.stream);
      assert.equal(msgs.length, 500);
      assert.deepEqual(msgs.map((m) => m.msgId), events.map((e) => e.eventId));
      assert.equal(msgs[1]!.subject, `${names.subjectPrefix}.acme%2Eeu.execution.completed`);
      assert.equal(msgs[0]!.subject, `${names.subjectPrefix}.beta.execution.completed`);
      const { eventId, eventType, source, tenantId, sessionId, executionId, payload, createdAt } = events[1]!;
      assert.deepEqual(msgs[1]!.data, { eventId, eventType, source, tenantId, sessionId, executionId, payload, createdAt });
    } finally {
      await sink.close();
    }
  });

  test('sets the tenant and event type headers unencoded', async () => {
    const names = fresh();
    const sink = await NatsEventSink.connect({ servers: server.url, ...names });
    try {
      const sub = nc.subscribe(`${names.subjectPrefix}.>`, { max: 1 });
      await nc.flush();
      await sink.publish([event(0, { tenantId: 'a.b@c', eventType: 'x.y z' })]);
      for await (const m of sub) {
        assert.equal(m.headers?.get('Symphainy-Tenant'), 'a.b@c');
        assert.equal(m.headers?.get('Symphainy-Event-Type'), 'x.y z');
        assert.equal(m.subject, `${names.subjectPrefix}.a%2Eb@c.x.y%20z`);
      }
    } finally {
      await sink.close();
    }
  });

  test('creates a missing stream with file storage and the duplicate window', async () => {
    const names = fresh();
    const sink = await NatsEventSink.connect({ servers: server.url, ...names, duplicateWindowMs: 30_000 });
    await sink.close();
    const info = await (await nc.jetstreamManager()).streams.info(names.stream);
    assert.deepEqual(info.config.subjects, [`${names.subjectPrefix}.>`]);
    assert.equal(info.config.storage, StorageType.File);
    assert.equal(info.config.duplicate_window, nanos(30_000));
  });

  test('uses an existing stream as it is, without changing its settings', async () => {
    const names = fresh();
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({
      name: names.stream, subjects: [`${names.subjectPrefix}.>`], storage: StorageType.Memory,
      duplicate_window: nanos(10_000), max_msgs: 1234,
    });
    const sink = await NatsEventSink.connect({ servers: server.url, ...names, duplicateWindowMs: 60_000 });
    try {
      await sink.publish([event(1)]);
      const info = await jsm.streams.info(names.stream);
      assert.equal(info.config.storage, StorageType.Memory);
      assert.equal(info.config.duplicate_window, nanos(10_000));
      assert.equal(info.config.max_msgs, 1234);
      assert.equal(info.state.messages, 1);
    } finally {
      await sink.close();
    }
  });

  test('an existing stream with other subjects is a ConfigError naming the stream and its subjects', async () => {
    const names = fresh();
    await (await nc.jetstreamManager()).streams.add({ name: names.stream, subjects: [`other${names.subjectPrefix}.>`, 'x.y'] });
    await assert.rejects(NatsEventSink.connect({ servers: server.url, ...names }), (err: Error) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, new RegExp(`'${names.stream}'.*other${names.subjectPrefix}\\.>, x\\.y`));
      return true;
    });
  });

  test('a stream name whose subjects overlap another stream is a ConfigError', async () => {
    const names = fresh();
    await (await nc.jetstreamManager()).streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`] });
    await assert.rejects(
      NatsEventSink.connect({ servers: server.url, ...names, stream: `${names.stream}_2` }),
      (err: Error) => err instanceof ConfigError && err.message.includes(`${names.stream}_2`) && /overlap/.test(err.message),
    );
  });

  test('publish throws (never swallows) while NATS is down', async () => {
    const own = await startNatsServer();
    const sink = await NatsEventSink.connect({ servers: own.url, ...fresh(), publishTimeoutMs: 300 });
    try {
      await own.stop();
      await assert.rejects(sink.publish([event(1), event(2)]), (err: Error) => err instanceof StoreError && /2 of 2/.test(err.message));
    } finally {
      await sink.close();
      await own.close();
    }
  });

  test('events produced while NATS is stopped arrive exactly once after it is back (a runtime with events: nats://…)', async () => {
    const own = await startNatsServer();
    const t = await testRuntime({ events: own.url, relayPollIntervalMs: 100 });
    const unpublished = async () =>
      Number((await t.db.scoped(ANY_TENANT).query<{ n: number }>('SELECT count(*)::int AS n FROM symphainy.outbox WHERE published_at IS NULL'))[0]!.n);
    const execute = (tenantId: string) =>
      t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
    try {
      await execute('before.stop');
      await t.runtime.flushEvents();
      assert.equal(await unpublished(), 0);

      await own.stop();
      // Executions do not wait for NATS: their events wait in the outbox.
      for (let i = 0; i < 4; i++) assert.equal((await execute(`during.stop-${i}`)).status, 'completed');
      await t.runtime.flushEvents(); // resolves (a sink failed); nothing is marked published
      const waiting = await unpublished();
      assert.ok(waiting >= 4 * 3, `only ${waiting} events wait for NATS`);

      await own.start();
      const deadline = Date.now() + 20_000;
      while ((await unpublished()) > 0) {
        assert.ok(Date.now() < deadline, `${await unpublished()} events still unpublished 20 s after NATS came back`);
        await sleep(100);
      }
      // A relay that crashed between publishing and marking re-sends everything: JetStream drops the copies.
      await t.db.scoped(ANY_TENANT).query('UPDATE symphainy.outbox SET published_at = NULL');
      await t.runtime.flushEvents();
      assert.equal(await unpublished(), 0);

      const check = await connect({ servers: own.url });
      try {
        const msgs = await readStream(check, 'SYMPHAINY');
        const rows = await t.db.scoped(ANY_TENANT).query<{ event_id: string }>('SELECT event_id FROM symphainy.outbox ORDER BY seq');
        assert.equal(msgs.length, rows.length);
        assert.equal(new Set(msgs.map((m) => m.msgId)).size, msgs.length);
        assert.deepEqual(new Set(msgs.map((m) => m.msgId)), new Set(rows.map((r) => r.event_id)));
      } finally {
        await check.close();
      }
    } finally {
      await t.close();
      await own.close();
    }
  });

  test('an unreachable server is a quick StoreError naming the URL without credentials', async () => {
    const own = await startNatsServer();
    await own.close(); // a port nothing listens on
    for (const servers of [`nats://alice:s3cret@127.0.0.1:${own.port}`, `nats://t0ken-s3cret@127.0.0.1:${own.port}`]) {
      const started = Date.now();
      await assert.rejects(NatsEventSink.connect({ servers, connectTimeoutMs: 2000 }), (err: Error) => {
        assert.ok(err instanceof StoreError, String(err));
        assert.match(err.message, new RegExp(`nats://127\\.0\\.0\\.1:${own.port}`));
        assert.doesNotMatch(err.message, /s3cret|alice|t0ken/);
        return true;
      });
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    }
  });

  test('a malformed URL or option is a ConfigError (without credentials)', async () => {
    for (const servers of ['', 'nats://', 'http://127.0.0.1:4222', 'nats://127.0.0.1:notaport', 'nats://u:s3cret@host:99999', 'nats://h/path']) {
      await assert.rejects(NatsEventSink.connect({ servers }), (err: Error) => {
        assert.ok(err instanceof ConfigError, `${servers}: ${err}`);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      });
    }
    await assert.rejects(NatsEventSink.connect({ servers: server.url, stream: 'a.b' }), ConfigError);
    await assert.rejects(NatsEventSink.connect({ servers: server.url, subjectPrefix: 'a.*' }), ConfigError);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { ANY_TENANT } from '../../src/db/tenant-scope.ts';
import { parseSealed, sealedFromText } from '../../src/crypto/sealed-format.ts';
import { KeyDestroyedError } from '../../src/errors/index.ts';
import { InProcessEventBus } from '../../src/events/in-process-bus.ts';
import { KEY_IDS_HEADER, NatsEventSink, openEventMessage } from '../../src/events/nats/index.ts';
import { OutboxRelay } from '../../src/events/outbox-relay.ts';
import { TransactionalOutbox, type OutboxEvent } from '../../src/store/outbox.ts';
import { SERVICES, skipUnlessReachable, tcpReachable } from '../support/services.ts';
import { freshDb, silentLogger, TEST_DRIVER, type TestDb } from '../support/test-runtime.ts';
import { eventually } from '../support/eventually.ts';
import { freshCipher, holds, marker } from './cipher-fixtures.ts';

/**
 * Outbox payloads are sealed before their transaction: the outbox table and
 * the NATS stream hold no clear content, NATS messages name their keys in a
 * header, subscribers in the process and consumers with the keys
 * (openEventMessage) read them, and after a covering key is destroyed a
 * message published before no longer opens.
 */

const event = (tenantId: string, sessionId: string, payload: unknown): OutboxEvent => ({
  eventId: `ev-${randomUUID()}`, eventType: 'report.ready', source: 'realm', tenantId, sessionId, executionId: `exe-${randomUUID()}`,
  payload, createdAt: new Date().toISOString(),
});

describe(`sealed outbox payloads (${TEST_DRIVER})`, () => {
  let db: TestDb;
  let fx: Awaited<ReturnType<typeof freshCipher>>;
  let outbox: TransactionalOutbox;
  before(async () => {
    db = await freshDb();
    fx = await freshCipher();
    outbox = new TransactionalOutbox(db, { cipher: fx.cipher });
  });
  after(async () => {
    await db?.close();
    await fx?.cleanup();
  });
  const rawPayloads = async (tenantId: string) =>
    (await db.scoped(tenantId).query<{ p: string }>('SELECT payload::text AS p FROM symphainy.outbox WHERE tenant_id = $1', [tenantId])).map((r) => r.p);

  it('stores sealed payloads (sealed before the transaction, or by insert), lists them opened, and erased once a key is destroyed', async () => {
    const secret = marker('outbox');
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const [a] = await outbox.seal([event(tenantId, 's1', { note: secret })], { tenantId, sessionId: 's1', parameters: { customer_id: '42' } });
    assert.match(a!.payload as string, /^sye1:/);
    const plain = event(tenantId, 's2', { note: secret });
    await db.scoped(tenantId).transaction(async (tx) => outbox.insert(tx, [a!, plain]));
    const raw = await rawPayloads(tenantId);
    assert.equal(raw.length, 2);
    for (const p of raw) {
      assert.ok(!holds(p, secret), `payload in clear: ${p.slice(0, 60)}`);
      assert.match(JSON.parse(p), /^sye1:/);
    }
    assert.deepEqual((await outbox.list({ tenantId })).map((e) => e.payload), [{ note: secret }, { note: secret }]);
    // The SSE stream reads committed events the same way (on a server, once older transactions of the cluster ended).
    assert.deepEqual((await eventually(() => outbox.listCommitted({ tenantId, after: null, limit: 10 }), 2)).map((e) => e.payload), [{ note: secret }, { note: secret }]);

    await fx.keyring.destroy({ kind: 'subject', tenantId, name: 'customer_id', value: '42' });
    const [erased, kept] = await outbox.list({ tenantId });
    assert.deepEqual(erased!.payload, { redacted: true, keyDestroyed: parseSealed(sealedFromText(a!.payload as string)).keyIds.at(-1) });
    assert.deepEqual(kept!.payload, { note: secret });
  });
});

const skip = await skipUnlessReachable('NATS', () => tcpReachable(SERVICES.nats, 4222));

describe(`sealed events published to NATS (${TEST_DRIVER})`, { skip }, () => {
  let db: TestDb;
  let fx: Awaited<ReturnType<typeof freshCipher>>;
  let nc: NatsConnection;
  let sink: NatsEventSink;
  const id = randomUUID().slice(0, 8);
  const stream = `SEALED_${id}`;
  before(async () => {
    db = await freshDb();
    fx = await freshCipher();
    nc = await connect({ servers: SERVICES.nats });
    sink = await NatsEventSink.connect({ servers: SERVICES.nats, stream, subjectPrefix: `sealed${id}` });
  });
  after(async () => {
    await sink?.close();
    await (await nc?.jetstreamManager())?.streams.delete(stream).catch(() => {});
    await nc?.close();
    await db?.close();
    await fx?.cleanup();
  });

  it('publishes only ciphertext with the key ids in a header; in-process subscribers and openEventMessage read it; after erasure it no longer opens', async () => {
    const outbox = new TransactionalOutbox(db, { cipher: fx.cipher });
    const bus = new InProcessEventBus(silentLogger, { cipher: fx.cipher });
    const seen: unknown[] = [];
    bus.subscribe((e) => void seen.push(e.payload), { tenantId: ANY_TENANT });
    const secret = marker('nats');
    const tenantId = 'acme';
    const sealed = await outbox.seal([event(tenantId, 'sess-1', { note: secret })], { tenantId, sessionId: 'sess-1' });
    await db.scoped(tenantId).transaction((tx) => outbox.insert(tx, sealed));
    await new OutboxRelay({ outbox, sinks: [sink, bus], logger: silentLogger }).drain();
    assert.deepEqual(seen, [{ note: secret }]);

    const consumer = await nc.jetstream().consumers.get(stream);
    const m = await consumer.next({ expires: 5000 });
    assert.ok(m, 'the event reached the stream');
    assert.ok(!holds(m.data, secret), 'the NATS message holds the content in clear');
    const keyIds = parseSealed(sealedFromText(sealed[0]!.payload as string)).keyIds;
    assert.equal(m.headers?.get(KEY_IDS_HEADER), keyIds.join(','));
    assert.equal(keyIds.length, 2, 'tenant and session keys');
    const opened = await openEventMessage(m, fx.keyring);
    assert.deepEqual([opened.eventId, opened.payload], [sealed[0]!.eventId, { note: secret }]);

    // The message stays in the stream; destroying the session key makes it unreadable.
    await fx.keyring.destroy({ kind: 'session', tenantId, sessionId: 'sess-1' });
    await assert.rejects(openEventMessage(m, fx.envelope), (err: unknown) => {
      assert.ok(err instanceof KeyDestroyedError);
      assert.equal(err.keyId, keyIds[1]);
      assert.match(err.message, new RegExp(`record 'acme/event:${sealed[0]!.eventId}#payload' can no longer be read`));
      return true;
    });
    m.ack();
  });
});

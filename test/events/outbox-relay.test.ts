import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { EventSink } from '../../src/events/event-sink.ts';
import { OutboxRelay } from '../../src/events/outbox-relay.ts';
import type { OutboxEvent, StoredOutboxEvent, TransactionalOutbox } from '../../src/store/outbox.ts';

/** An outbox in memory: enough of TransactionalOutbox for the relay. */
class MemoryOutbox {
  rows: StoredOutboxEvent[] = [];
  claims = 0;
  /** Called once events are marked: lets a test commit "concurrently", interleaved with the relay's last steps. */
  onMarked: (() => void) | null = null;
  commit(id: string): void {
    this.rows.push({
      seq: this.rows.length + 1, eventId: id, eventType: 't', source: 'runtime', tenantId: 'a', sessionId: 's',
      executionId: null, payload: null, createdAt: new Date().toISOString(), publishedAt: null,
    });
  }
  async claimUnpublished(_owner: string, limit: number): Promise<StoredOutboxEvent[]> {
    this.claims++;
    await tick();
    return this.rows.filter((r) => r.publishedAt === null).slice(0, limit);
  }
  async markPublished(ids: readonly string[], at: string): Promise<void> {
    await tick();
    this.rows = this.rows.map((r) => (ids.includes(r.eventId) ? { ...r, publishedAt: at } : r));
    const hook = this.onMarked;
    this.onMarked = null;
    hook?.();
  }
}

class RecordingSink implements EventSink {
  readonly name = 'recording';
  seen: string[] = [];
  down = false;
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (this.down) throw new Error('sink down');
    this.seen.push(...events.map((e) => e.eventId));
  }
}

const logger = pino({ level: 'silent' });
const relayOver = (outbox: MemoryOutbox, sink: RecordingSink, batchSize = 200) =>
  new OutboxRelay({ outbox: outbox as unknown as TransactionalOutbox, sinks: [sink], logger, batchSize, initialBackoffMs: 5 });

describe('OutboxRelay', () => {
  test('a kick at any moment of a running drain is never lost (no event left unpublished)', async () => {
    for (let trial = 0; trial < 60; trial++) {
      const outbox = new MemoryOutbox();
      const sink = new RecordingSink();
      const relay = relayOver(outbox, sink);
      outbox.commit(`e${trial}-1`);
      // Right after the drain marks its last events, another execution commits and kicks a few
      // microtasks later — i.e. somewhere between the drain's last look and its end.
      outbox.onMarked = () => {
        void (async () => {
          for (let i = 0; i < trial; i++) await null;
          outbox.commit(`e${trial}-2`);
          relay.kick();
        })();
      };
      relay.kick();
      // The second kick comes right after a drain started: it waits out minIntervalMs (10 ms).
      for (let i = 0; i < 500 && (outbox.rows.length < 2 || outbox.rows.some((r) => r.publishedAt === null)); i++) await sleep(1);
      assert.equal(outbox.rows.length, 2);
      assert.deepEqual(
        outbox.rows.filter((r) => r.publishedAt === null).map((r) => r.eventId),
        [],
        `trial ${trial}: an event stayed unpublished`,
      );
      await relay.close();
    }
  });

  test('kicks close together share one drain; a kick after a quiet spell drains at once', async () => {
    const outbox = new MemoryOutbox();
    const sink = new RecordingSink();
    const relay = relayOver(outbox, sink);
    outbox.commit('first');
    relay.kick();
    // 30 more commits, each kicking, while the first drain runs and within minIntervalMs of its start.
    for (let i = 0; i < 30; i++) {
      outbox.commit(`e${i}`);
      relay.kick();
      await tick();
    }
    for (let i = 0; i < 500 && outbox.rows.some((r) => r.publishedAt === null); i++) await sleep(1);
    assert.equal(sink.seen.length, 31, 'every event published once');
    assert.ok(outbox.claims <= 3, `${outbox.claims} claims for 31 kicks`);
    await sleep(30);
    const before = outbox.claims;
    outbox.commit('later');
    relay.kick();
    await tick(); // not a timer: the claim starts on this kick
    assert.equal(outbox.claims, before + 1);
    await relay.close();
  });

  test('publishes in commit order across batches and marks every event published', async () => {
    const outbox = new MemoryOutbox();
    const sink = new RecordingSink();
    const relay = relayOver(outbox, sink, 3);
    const ids = Array.from({ length: 10 }, (_, i) => `e${i}`);
    ids.forEach((id) => outbox.commit(id));
    await relay.drain();
    assert.deepEqual(sink.seen, ids);
    assert.ok(outbox.rows.every((r) => r.publishedAt !== null));
  });

  test('when the sink is down nothing is marked published; a retry delivers the same event ids later', async () => {
    const outbox = new MemoryOutbox();
    const sink = new RecordingSink();
    const relay = relayOver(outbox, sink);
    sink.down = true;
    outbox.commit('x1');
    await relay.drain();
    assert.equal(outbox.rows[0]!.publishedAt, null);
    sink.down = false;
    for (let i = 0; i < 1000 && outbox.rows[0]!.publishedAt === null; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sink.seen, ['x1']);
    assert.notEqual(outbox.rows[0]!.publishedAt, null);
    await relay.close();
  });
});

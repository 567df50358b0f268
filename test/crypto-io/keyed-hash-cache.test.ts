import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeyDestroyedError } from '../../src/errors/index.ts';
import { InProcessEventBus } from '../../src/events/in-process-bus.ts';
import { ANY_TENANT } from '../../src/db/tenant-scope.ts';
import type { OutboxEvent } from '../../src/store/outbox.ts';
import { sealEvent } from '../../src/store/outbox-sealing.ts';
import { silentLogger } from '../support/test-runtime.ts';
import { freshCipher } from './cipher-fixtures.ts';

/**
 * Keyed hashes (blob addresses) derive their key once per cover and purpose,
 * and that cache never outlives a destroyed key. The in-process bus delivers
 * opened payloads, and skips one that does not open instead of blocking.
 */
describe('keyed hashes and the in-process bus with a cipher', () => {
  let fx: Awaited<ReturnType<typeof freshCipher>>;
  before(async () => {
    fx = await freshCipher();
  });
  after(() => fx?.cleanup());

  it('a cached derived hash key does not recompute a digest once one of its keys is destroyed', async () => {
    const cover = { tenantId: 'acme', sessionId: 's1' };
    const first = await fx.envelope.keyedHash('same bytes', cover, 'blob-address');
    const again = await fx.envelope.keyedHash('same bytes', cover, 'blob-address');
    assert.equal(again.text, first.text, 'deterministic while the keys live');
    assert.equal((await fx.envelope.keyedHashWith('same bytes', first.keyIds, 'blob-address')).hex, first.hex);
    assert.notEqual((await fx.envelope.keyedHash('same bytes', cover, 'other-purpose')).hex, first.hex);
    await fx.keyring.destroy({ kind: 'session', tenantId: 'acme', sessionId: 's1' });
    await assert.rejects(fx.envelope.keyedHashWith('same bytes', first.keyIds, 'blob-address'), KeyDestroyedError);
    // The scope's next generation: a new address for the same bytes.
    assert.notEqual((await fx.envelope.keyedHash('same bytes', cover, 'blob-address')).hex, first.hex);
  });

  it('the bus hands handlers opened payloads and skips one altered in the store, delivering the rest', async () => {
    const bus = new InProcessEventBus(silentLogger, { cipher: fx.cipher });
    const seen: unknown[] = [];
    bus.subscribe((e) => void seen.push(e.payload), { tenantId: ANY_TENANT });
    const base = { eventType: 'x.y', source: 'realm', tenantId: 'acme', sessionId: 's2', executionId: 'exe', createdAt: new Date().toISOString() } as const;
    const a = await sealEvent(fx.cipher, { ...base, eventId: 'ev-a', payload: { n: 1 } } as OutboxEvent);
    const b = await sealEvent(fx.cipher, { ...base, eventId: 'ev-b', payload: { n: 2 } } as OutboxEvent);
    // b's sealed payload copied onto another event id does not open (the seal names its event).
    await bus.publish([a, { ...b, eventId: 'ev-c' }, b]);
    assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
  });
});

import { Envelope } from '../../crypto/envelope.ts';
import { Keyring } from '../../crypto/keyring.ts';
import { DecryptError } from '../../errors/index.ts';
import type { OutboxEvent } from '../../store/outbox.ts';
import { openEventPayload } from '../../store/outbox-sealing.ts';

/** Header of a NATS event message naming, comma-separated, the data keys its payload is sealed with (absent: a plain payload). */
export const KEY_IDS_HEADER = 'Symphainy-Key-Ids';

/** The part of a received NATS message this reads (a `JsMsg` or `Msg` of nats.js has it). */
export interface EventMessageLike {
  readonly data: Uint8Array;
}

/**
 * For a consumer of the event stream: the event of a NATS message, its
 * payload opened with the keys of the runtime's key store (a plain payload,
 * published with encryption off, is returned as is).
 *
 * ```ts
 * const keyring = await openEmbeddedKeyring('.symphainy'); // the runtime's data dir (and KEK)
 * for await (const m of await consumer.consume()) {
 *   const event = await openEventMessage(m, keyring);
 *   m.ack();
 * }
 * ```
 * @throws KeyDestroyedError naming the key and the event once a covering key was destroyed (the event was erased);
 *   DecryptError when the message is not an event, or its payload was altered or moved to another event;
 *   KeyUnavailableError when a key is missing from this key store or cannot be unwrapped.
 */
export async function openEventMessage(message: EventMessageLike, keys: Keyring | Envelope): Promise<OutboxEvent> {
  let event: OutboxEvent;
  try {
    event = JSON.parse(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength).toString('utf8')) as OutboxEvent;
  } catch (err) {
    throw new DecryptError(`NATS message is not an event: its body is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (event === null || typeof event !== 'object' || typeof event.eventId !== 'string' || typeof event.tenantId !== 'string') {
    throw new DecryptError('NATS message is not an event: its body has no eventId and tenantId');
  }
  const envelope = keys instanceof Keyring ? new Envelope(keys) : keys;
  return { ...event, payload: await openEventPayload(envelope, event) };
}

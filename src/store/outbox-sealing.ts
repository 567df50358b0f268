import { executionCover, type ContentCipher, type CoveredExecution } from '../crypto/content-cipher.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { RecordRef } from '../crypto/scope.ts';
import { KeyDestroyedError } from '../errors/index.ts';
import type { OutboxEvent } from './outbox.ts';

/**
 * Sealing of outbox event payloads. A sealed payload is the text
 * `sye1:…` (the JSON of the payload, sealed for `event:<eventId>` /
 * `payload` of its tenant) in the payload column, in NATS messages and
 * wherever the event is copied; ids, types, tenant and session stay in clear
 * for routing.
 */

/** The record a payload is sealed for: a payload moved to another event or tenant does not open. */
export function eventRecord(event: Pick<OutboxEvent, 'tenantId' | 'eventId'>): RecordRef {
  return { tenantId: event.tenantId, record: `event:${event.eventId}`, field: 'payload' };
}

/** True when a payload is in sealed text form (`sye1:` prefix). */
export function isSealedPayload(payload: unknown): payload is string {
  return typeof payload === 'string' && payload.startsWith('sye1:');
}

/**
 * The event with its payload sealed under the cover of the execution it
 * belongs to (its tenant and session, and declared subjects when
 * `coveredBy` has the intent's parameters).
 * @throws KeyUnavailableError when a key cannot be made or read.
 */
export async function sealEvent(cipher: ContentCipher, event: OutboxEvent, coveredBy?: CoveredExecution): Promise<OutboxEvent> {
  const cover = executionCover(cipher, { sessionId: event.sessionId, ...coveredBy, tenantId: event.tenantId });
  return { ...event, payload: await cipher.envelope.sealText(JSON.stringify(event.payload ?? null), cover, eventRecord(event)) };
}

/**
 * The payload of a sealed event, opened (a plain payload is returned as is).
 * @throws KeyDestroyedError naming the key and the event once a covering key was destroyed; DecryptError when altered or moved.
 */
export async function openEventPayload(envelope: Envelope, event: Pick<OutboxEvent, 'tenantId' | 'eventId' | 'payload'>): Promise<unknown> {
  if (!isSealedPayload(event.payload)) return event.payload;
  return JSON.parse(await envelope.openText(event.payload, eventRecord(event))) as unknown;
}

/** What an erased payload reads as inside the runtime (listing, streams, in-process subscribers): the key that was destroyed. */
export function erasedPayload(keyId: string): { redacted: true; keyDestroyed: string } {
  return { redacted: true, keyDestroyed: keyId };
}

/** The event opened for a reader in the runtime; a payload whose key was destroyed becomes {@link erasedPayload}. */
export async function openEvent<E extends OutboxEvent>(envelope: Envelope | undefined, event: E): Promise<E> {
  if (!envelope || !isSealedPayload(event.payload)) return event;
  try {
    return { ...event, payload: await openEventPayload(envelope, event) };
  } catch (err) {
    if (err instanceof KeyDestroyedError) return { ...event, payload: erasedPayload(err.keyId) };
    throw err;
  }
}

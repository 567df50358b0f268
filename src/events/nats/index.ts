/**
 * `symphainy/nats`: committed outbox events published to NATS JetStream.
 * Needs the optional peer dependency `nats`. The `events: 'nats://host:4222'`
 * option alone does not need this entry point.
 * @module
 */
export { NatsEventSink, eventSubject, type NatsEventSinkOptions } from './nats-sink.ts';
export { KEY_IDS_HEADER, openEventMessage, type EventMessageLike } from './open-event-message.ts';
export { openEmbeddedKeyring } from '../../crypto/embedded-keyring.ts';

/**
 * The one place where checkpoint content (a checkpoint without its channel
 * values, its metadata, channel values, pending writes) becomes stored bytes
 * and back. Each value arrives typed by the saver's serializer (`[type,
 * bytes]`); the type travels inside the stored bytes, so every column holding
 * content is opaque to SQL. Sealing content at rest (per tenant and thread)
 * belongs here and nowhere else, which is why both directions take the scope
 * and are asynchronous.
 *
 * Stored format, version 1: byte 0 = 1, byte 1 = length of the type in UTF-8
 * (1–255), then the type, then the serializer's bytes.
 */

/** Whose content it is: the key scope a sealed format will use. */
export interface ContentScope {
  readonly tenantId: string;
  readonly threadId: string;
}

/** A value as the serializer typed it (`SerializerProtocol.dumpsTyped`). */
export interface TypedContent {
  readonly type: string;
  readonly bytes: Uint8Array;
}

const FORMAT = 1;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes one typed value for storage. @throws TypeError when the type is empty or longer than 255 bytes. */
export async function toStored(_scope: ContentScope, content: TypedContent): Promise<Uint8Array> {
  const type = utf8.encode(content.type);
  if (type.length === 0 || type.length > 255) throw new TypeError(`a serializer type must be 1 to 255 bytes, got '${content.type}'`);
  const out = new Uint8Array(2 + type.length + content.bytes.length);
  out[0] = FORMAT;
  out[1] = type.length;
  out.set(type, 2);
  out.set(content.bytes, 2 + type.length);
  return out;
}

/** Decodes what {@link toStored} wrote. @throws TypeError naming the problem when the bytes are not in a known format. */
export async function fromStored(_scope: ContentScope, stored: Uint8Array): Promise<TypedContent> {
  if (stored.length < 3 || stored[0] !== FORMAT) {
    throw new TypeError(`stored checkpoint content has an unknown format (first byte ${stored[0] ?? 'missing'})`);
  }
  const length = stored[1]!;
  return { type: fromUtf8.decode(stored.subarray(2, 2 + length)), bytes: stored.subarray(2 + length) };
}

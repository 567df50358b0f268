import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The file format of a migrated database image: one header line, then the
 * payload (a tar of PGDATA as `dumpDataDir` writes it, plain or gzipped).
 *
 *   symphainy-pglite-image 1 {"key":…,"payload":"tar+gzip","bytes":…,"sha256":…}\n<payload>
 *
 * The key names what the image holds (PGlite version and migrations, see
 * `imageKey`); the digest covers the payload, so a torn or altered file is
 * refused before PGlite sees a byte of it.
 */
const MAGIC = 'symphainy-pglite-image 1 ';
/** A header is a few hundred bytes; anything longer is not an image. */
const MAX_HEADER = 4096;

export interface ImageHeader {
  /** What the image holds, see `imageKey`. */
  readonly key: string;
  readonly payload: 'tar' | 'tar+gzip';
  /** Payload length in bytes, as stored. */
  readonly bytes: number;
  /** SHA-256 of the payload as stored, hex. */
  readonly sha256: string;
}

/** Why an image file was not used (a stale key, a torn or altered file). */
export class ImageRefused extends Error {}

/** An image file for `tar` (PGDATA), its payload gzipped when `gzip` (smaller to ship, slower to open). */
export function encodeImage(key: string, tar: Uint8Array, gzip: boolean): Buffer {
  const payload = gzip ? gzipSync(tar) : Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength);
  const header: ImageHeader = { key, payload: gzip ? 'tar+gzip' : 'tar', bytes: payload.length, sha256: sha256(payload) };
  return Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), payload]);
}

/** The header of an image file. @throws ImageRefused when `file` does not start with one */
export function readHeader(file: Uint8Array): { header: ImageHeader; payloadAt: number } {
  const head = Buffer.from(file.buffer, file.byteOffset, Math.min(file.byteLength, MAX_HEADER));
  const end = head.indexOf(0x0a);
  const line = end < 0 ? '' : head.subarray(0, end).toString('utf8');
  if (!line.startsWith(MAGIC)) throw new ImageRefused('not a symphainy database image');
  let header: ImageHeader;
  try {
    header = JSON.parse(line.slice(MAGIC.length)) as ImageHeader;
  } catch {
    throw new ImageRefused('its header is not JSON');
  }
  if (typeof header.key !== 'string' || typeof header.sha256 !== 'string' || typeof header.bytes !== 'number' || !['tar', 'tar+gzip'].includes(header.payload)) {
    throw new ImageRefused('its header lacks key, payload, bytes or sha256');
  }
  return { header, payloadAt: end + 1 };
}

/**
 * The tar inside an image file, checked: the header's key must be `key`, and
 * the payload its recorded length and digest (skipped when `trusted`: this
 * process checked the same file already).
 * @throws ImageRefused naming the first check that failed
 */
export function decodeImage(file: Uint8Array, key: string, trusted = false): Uint8Array {
  const { header, payloadAt } = readHeader(file);
  if (header.key !== key) throw new ImageRefused(`it holds ${header.key}, not ${key}`);
  const payload = file.subarray(payloadAt);
  if (payload.byteLength !== header.bytes) throw new ImageRefused(`its payload is ${payload.byteLength} bytes, the header says ${header.bytes}`);
  if (!trusted && sha256(payload) !== header.sha256) throw new ImageRefused('its payload does not match its SHA-256');
  if (header.payload === 'tar') return payload;
  try {
    return gunzipSync(payload);
  } catch (err) {
    throw new ImageRefused(`its payload does not decompress: ${(err as Error).message}`);
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

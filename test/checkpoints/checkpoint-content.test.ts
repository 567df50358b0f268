import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromStored, toStored } from '../../src/checkpoints/checkpoint-content.ts';

// Checkpoint content becomes stored bytes in one module: the serializer's type travels inside the
// bytes (no content in readable columns), and bytes in an unknown format are refused by name.

const scope = { tenantId: 'acme', threadId: 'thread-1' };

test('typed content round-trips through the stored format, type included', async () => {
  const bytes = new TextEncoder().encode('{"messages":["hi"]}');
  const stored = await toStored(scope, { type: 'json', bytes });
  assert.equal(stored[0], 1, 'format version');
  const back = await fromStored(scope, stored);
  assert.equal(back.type, 'json');
  assert.deepEqual([...back.bytes], [...bytes]);
  const empty = await fromStored(scope, await toStored(scope, { type: 'bytes', bytes: new Uint8Array() }));
  assert.deepEqual({ type: empty.type, length: empty.bytes.length }, { type: 'bytes', length: 0 });
});

test('an empty or oversized type, bytes of an unknown format, and sealed bytes without keys are refused with the reason and a code', async () => {
  const coded = (code: string, words: RegExp) => (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `${err.name}: ${err.message}`);
    assert.match(err.message, words);
    return true;
  };
  await assert.rejects(toStored(scope, { type: '', bytes: new Uint8Array([1]) }), coded('SYM_ERR_INVALID_REQUEST', /a serializer type must be 1 to 255 bytes/));
  await assert.rejects(toStored(scope, { type: 'x'.repeat(256), bytes: new Uint8Array([1]) }), coded('SYM_ERR_INVALID_REQUEST', /1 to 255 bytes/));
  await assert.rejects(fromStored(scope, new Uint8Array([9, 1, 65, 66])), coded('SYM_ERR_STORE', /unknown format \(first byte 9\)/));
  await assert.rejects(fromStored(scope, new Uint8Array()), coded('SYM_ERR_STORE', /unknown format \(first byte missing\)/));
  await assert.rejects(fromStored(scope, new Uint8Array([2, 1, 2, 3])), coded('SYM_ERR_CONFIG', /thread 'thread-1' is sealed, and this runtime has encryption off/));
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineRealm, rendering, type ExecutionResult } from '../../src/index.ts';
import { MVP_CONFIG, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { filesUnder, uid } from './helpers.ts';

/**
 * Every rendering value is stored as its exact bytes or refused with a
 * recorded error naming the artifact and rendering — never turned into
 * something else (a Map or an ArrayBuffer into `{}`) while reporting
 * `stored: true`. Both the database path (small) and the blob store (over
 * 16 KiB) are read back byte for byte.
 */

let next: () => unknown = () => ({});
const types = defineRealm({ name: 'types', intents: { emit: { handler: () => next() as never } } });

/** `n` bytes of a recognisable pattern. */
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff));

/** Binary values and the bytes each must be stored as. */
function binaries(n: number): [string, unknown, Buffer][] {
  const bytes = pattern(n * 8);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const sab = new SharedArrayBuffer(n);
  new Uint8Array(sab).set(bytes.subarray(0, n));
  const big = Buffer.concat([Buffer.from('head'), bytes, Buffer.from('tail')]);
  return [
    ['Uint8Array', new Uint8Array(bytes.subarray(0, n)), bytes.subarray(0, n)],
    ['Uint8Array subarray (offset view)', new Uint8Array(ab).subarray(3, 3 + n), bytes.subarray(3, 3 + n)],
    ['Buffer slice of a larger buffer', big.subarray(4, 4 + n), bytes.subarray(0, n)],
    ['Int16Array', new Int16Array(ab, 0, n / 2), bytes.subarray(0, n)],
    ['Float64Array', new Float64Array(ab, 8, n / 8), bytes.subarray(8, 8 + n)],
    ['BigInt64Array', new BigInt64Array(ab, 0, n / 8), bytes.subarray(0, n)],
    ['Uint8ClampedArray', new Uint8ClampedArray(ab, 0, n), bytes.subarray(0, n)],
    ['DataView with an offset', new DataView(ab, 5, n), bytes.subarray(5, 5 + n)],
    ['ArrayBuffer', ab.slice(0, n), bytes.subarray(0, n)],
    ['SharedArrayBuffer', sab, bytes.subarray(0, n)],
  ];
}

class Point {
  constructor(readonly x: number) {}
}
const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

const REFUSED: [string, unknown, RegExp][] = [
  ['a Map', new Map([['a', 1]]), /is a Map/],
  ['a Set', new Set([1]), /is a Set/],
  ['a Date', new Date(0), /is a Date/],
  ['a class instance', new Point(1), /an instance of Point/],
  ['a function', () => 1, /is a function/],
  ['a bigint', 10n, /is a bigint/],
  ['a symbol', Symbol('s'), /is a symbol/],
  ['undefined', undefined, /is undefined/],
  ['NaN', Number.NaN, /is NaN/],
  ['a nested Map', { a: { b: new Map() } }, /value\.a\.b is a Map/],
  ['a cycle', cyclic, /value\.self refers back to itself/],
  ['undefined in an array', [1, undefined], /value\[1\] is undefined/],
  ['a Rendering with a Map as data', rendering(new Map() as never, 'application/octet-stream'), /data is a Map/],
];

describe(`rendering value types (${TEST_DRIVER})`, () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [types], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  async function emit(fn: () => unknown): Promise<ExecutionResult> {
    next = fn;
    return t.runtime.execute({ intentType: 'types.emit', tenantId: uid('types'), sessionId: 's', parameters: {} });
  }

  async function readBack(result: ExecutionResult, name: string): Promise<{ bytes: Buffer; contentType: string }> {
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    const a = result.artifacts[0]!;
    assert.equal(a.stored, true);
    const r = await t.runtime.readRendering(a.artifactId!, name, { tenantId: result.tenantId });
    return { bytes: Buffer.from(r.bytes), contentType: r.contentType };
  }

  for (const size of [64, 32 * 1024]) {
    for (const [name, value, expected] of binaries(size)) {
      it(`${name}, ${size} bytes: stored as its exact bytes (structured and legacy)`, async () => {
        const structured = await emit(() => ({ artifacts: { w: { resultType: 'workflow', renderings: { bin: value } } } }));
        const s = await readBack(structured, 'bin');
        assert.equal(s.contentType, 'application/octet-stream');
        assert.ok(s.bytes.equals(expected), `${name}: ${s.bytes.byteLength} bytes read, ${expected.byteLength} expected`);
        const legacy = await emit(() => ({ artifacts: { workflow: value } }));
        assert.ok((await readBack(legacy, 'workflow')).bytes.equals(expected));
        const typed = await emit(() => ({ artifacts: { w: { resultType: 'workflow', renderings: { png: rendering(value as never, 'image/png') } } } }));
        const r = await readBack(typed, 'png');
        assert.equal(r.contentType, 'image/png');
        assert.ok(r.bytes.equals(expected));
      });
    }
  }

  it('strings as UTF-8, plain JSON as JSON', async () => {
    const result = await emit(() => ({
      artifacts: { w: { resultType: 'workflow', renderings: { text: 'héllo 🎉', json: { a: [1, 'é', null, true], b: { c: -0.5 } }, nil: null } } },
    }));
    assert.ok((await readBack(result, 'text')).bytes.equals(Buffer.from('héllo 🎉', 'utf8')));
    assert.equal((await readBack(result, 'json')).bytes.toString('utf8'), '{"a":[1,"é",null,true],"b":{"c":-0.5}}');
    assert.equal((await readBack(result, 'nil')).bytes.toString('utf8'), 'null');
  });

  for (const [name, value, message] of REFUSED) {
    it(`${name}: refused with SYM_ERR_REALM_RESULT naming the artifact and rendering; nothing stored`, async () => {
      const result = await emit(() => ({ artifacts: { w: { resultType: 'workflow', renderings: { ok: 'fine', bad: value } } } }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'SYM_ERR_REALM_RESULT');
      assert.match(result.error!.message, /artifact 'w', rendering 'bad': /);
      assert.match(result.error!.message, message);
      assert.deepEqual(await t.runtime.listArtifacts({ tenantId: result.tenantId }), []);
      const e = await t.runtime.getExecution(result.executionId, { tenantId: result.tenantId });
      assert.deepEqual(e.error, result.error);
    });
  }

  it('a legacy artifact that is a Map is refused too (not stored as {})', async () => {
    const result = await emit(() => ({ artifacts: { workflow: new Map([['a', 1]]) } }));
    assert.equal(result.error?.code, 'SYM_ERR_REALM_RESULT');
    assert.match(result.error!.message, /artifact 'workflow', rendering 'workflow': .*is a Map/);
    assert.deepEqual(await filesUnder(t.blobRoot).then((f) => f.filter((x) => x.includes(result.tenantId))), []);
  });
});

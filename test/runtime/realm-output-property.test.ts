import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { defineRealm, rendering, type ExecutionResult } from '../../src/index.ts';
import { escapeUnstorable } from '../../src/realm/storable.ts';
import { MVP_CONFIG, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { stateOf, uid } from './helpers.ts';

/**
 * Property: any string, in any realm-output field, ends in one of two ways —
 * the execution completes and what was stored reads back exactly (each
 * rendering byte for byte), or it fails with a recorded error that the
 * state row, the result and the intent id's replay agree on. Never an
 * exception from `execute` (which the HTTP API would answer with 503).
 */

/** Where the string goes. */
const FIELDS = [
  'artifactKey', 'renderingName', 'renderingText', 'renderingJson', 'renderingBytes', 'contentType', 'tag',
  'payloadKey', 'payloadValue', 'eventType', 'eventDataKey', 'eventDataValue', 'errorMessage', 'errorCode',
] as const;
type Field = (typeof FIELDS)[number];

let current: { field: Field; s: string } = { field: 'tag', s: '' };

function output(field: Field, s: string): unknown {
  const art = (over: Record<string, unknown> = {}, renderings: Record<string, unknown> = { txt: 'x' }) =>
    ({ artifacts: { w: { resultType: 'workflow', semanticPayload: { ok: 1 }, renderings, ...over } } });
  switch (field) {
    case 'artifactKey': return { artifacts: { [s]: { resultType: 'workflow', renderings: { txt: 'x' } } } };
    case 'renderingName': return art({}, { [s]: 'x' });
    case 'renderingText': return art({}, { r: s });
    case 'renderingJson': return art({}, { r: { s, [s]: [s] } });
    case 'renderingBytes': return art({}, { r: new Uint16Array(Array.from(s, (_, i) => s.charCodeAt(i))) });
    case 'contentType': return art({}, { r: rendering('x', s) });
    case 'tag': return art({ tags: [s] });
    case 'payloadKey': return art({ semanticPayload: { n: { [s]: 1 } } });
    case 'payloadValue': return art({ semanticPayload: { n: [s] } });
    case 'eventType': return { events: [{ type: s, data: null }] };
    case 'eventDataKey': return { events: [{ type: 'e', data: { [s]: 1 } }] };
    case 'eventDataValue': return { events: [{ type: 'e', data: { v: s } }] };
    case 'errorMessage': throw new Error(s);
    case 'errorCode': throw Object.assign(new Error('coded'), { code: s, statusCode: 500 });
  }
}

const realm = defineRealm({ name: 'prop', intents: { emit: { handler: () => output(current.field, current.s) as never } } });

/** Any UTF-16 code unit (lone surrogates, NUL, controls), any code point, and strings known to be hard. */
const anyString = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '\u0000', '\ud800', '\udc00x', '..', 'a/b', 'résumé', 'my file.svg', '\u0085', 'é'.repeat(200), 'text/plain', '\\u0000'),
);

/** Stored exactly: read each part back from the store and compare. */
async function assertStoredExactly(t: TestRuntime, r: ExecutionResult, field: Field, s: string): Promise<void> {
  const scope = { tenantId: r.tenantId };
  const e = await t.runtime.getExecution(r.executionId, scope);
  assert.equal(e.status, 'completed');
  const artifact = r.artifacts[0];
  if (artifact?.artifactId) {
    const stored = await t.runtime.getArtifact(artifact.artifactId, scope);
    for (const ref of stored.renderings) {
      const { bytes, contentType } = await t.runtime.readRendering(artifact.artifactId, ref.name, scope);
      const got = Buffer.from(bytes);
      if (field === 'renderingText') assert.ok(got.equals(Buffer.from(s, 'utf8')));
      else if (field === 'renderingJson') assert.deepEqual(JSON.parse(got.toString('utf8')), { s, [s]: [s] });
      else if (field === 'renderingBytes') assert.ok(got.equals(Buffer.from(new Uint16Array(Array.from(s, (_, i) => s.charCodeAt(i))).buffer)));
      else if (field === 'contentType') assert.equal(contentType, s);
      else assert.equal(got.toString('utf8'), 'x');
    }
    if (field === 'renderingName') assert.deepEqual(stored.renderings.map((x) => x.name), [s]);
    if (field === 'artifactKey') assert.equal(stored.artifactKey, s);
  }
  const semantic = stateOf(e).semantic;
  if (field === 'payloadKey') assert.deepEqual(semantic.w?.payload, { n: { [s]: 1 } });
  if (field === 'payloadValue') assert.deepEqual(semantic.w?.payload, { n: [s] });
  if (field.startsWith('event')) {
    await t.runtime.flushEvents();
    const events = (await t.runtime.listEvents({ tenantId: r.tenantId, executionId: r.executionId })).filter((x) => x.source === 'realm');
    const expected = field === 'eventType' ? { type: s, data: null } : { type: 'e', data: field === 'eventDataKey' ? { [s]: 1 } : { v: s } };
    assert.deepEqual(events.map((x) => ({ type: x.eventType, data: x.payload })), [expected]);
  }
}

describe(`property: any string in any realm-output field is stored exactly or cleanly refused (${TEST_DRIVER})`, () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [realm], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  it('holds for arbitrary strings, lone surrogates and NUL included', { timeout: 120_000 }, async () => {
    const seen = { completed: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), anyString, async (field, s) => {
        current = { field, s };
        const tenantId = uid('prop');
        const intentId = uid('intent');
        const input = { intentType: 'prop.emit', tenantId, sessionId: 's', parameters: {}, intentId };
        const r = await t.runtime.execute(input);
        // Well-formed text without NUL must never be refused where it is plain text.
        const clean = !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) && !s.includes('\u0000');
        if (clean && ['renderingText', 'renderingJson', 'renderingBytes', 'tag', 'payloadKey', 'payloadValue', 'eventDataKey', 'eventDataValue'].includes(field)) {
          assert.equal(r.status, 'completed', `${field} ${JSON.stringify(s)}: ${JSON.stringify(r.error)}`);
        }
        if (field === 'renderingBytes') assert.equal(r.status, 'completed', JSON.stringify(r.error));
        if (r.status === 'completed') {
          seen.completed++;
          await assertStoredExactly(t, r, field, s);
        } else {
          seen.failed++;
          const e = await t.runtime.getExecution(r.executionId, { tenantId });
          assert.equal(e.status, 'failed');
          assert.deepEqual(e.error, r.error);
          if (field === 'errorMessage') {
            assert.equal(r.error!.code, 'SYM_ERR_REALM_FAILED');
            if (s.length < 8000) assert.equal(r.error!.message, `realm handler for 'prop.emit' failed: ${escapeUnstorable(s)}`);
          } else if (field !== 'errorCode') {
            assert.equal(r.error!.code, 'SYM_ERR_REALM_RESULT', JSON.stringify(r.error));
          }
        }
        // The intent id replays what was recorded.
        assert.deepEqual(await t.runtime.execute(input), r);
      }),
      { numRuns: Number(process.env.SYMPHAINY_PROPERTY_RUNS ?? 150), interruptAfterTimeLimit: 60_000 },
    );
    assert.ok(seen.completed > 0 && seen.failed > 0, JSON.stringify(seen));
  });
});

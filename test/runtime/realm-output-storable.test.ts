import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ANY_TENANT, defineRealm, rendering, type ExecutionResult } from '../../src/index.ts';
import { MVP_CONFIG, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { journeyOf, uid } from './helpers.ts';

/**
 * Realm output PostgreSQL cannot store (NUL, unpaired surrogates) anywhere a
 * realm can put a string: the failure is recorded — escaped where it is a
 * message, refused naming the field where it is data — and the execution ends
 * `failed` with its real error, replayable under its intent id.
 */

/** What the next `out.emit` returns or throws. */
let next: () => unknown = () => ({});

const out = defineRealm({ name: 'out', intents: { emit: { handler: () => next() as never } } });

const NUL = '\u0000';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udfff';

describe(`realm output that PostgreSQL cannot store (${TEST_DRIVER})`, () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [out], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  async function emit(fn: () => unknown, intentId?: string): Promise<ExecutionResult> {
    next = fn;
    return t.runtime.execute({ intentType: 'out.emit', tenantId: uid('out'), sessionId: 's', parameters: {}, ...(intentId ? { intentId } : {}) });
  }

  /** Failed and recorded everywhere (row, WAL, event) with exactly the returned error. */
  async function assertRecorded(result: ExecutionResult, code: string, message: RegExp): Promise<void> {
    assert.equal(result.status, 'failed', JSON.stringify(result.error));
    assert.equal(result.error?.code, code);
    assert.match(result.error!.message, message);
    const { tenantId, executionId } = result;
    const e = await t.runtime.getExecution(executionId, { tenantId });
    assert.equal(e.status, 'failed');
    assert.deepEqual(e.error, result.error);
    // Stored with its code in clear and its message sealed (encryption at rest); read through the runtime above.
    const rows = await t.db.scoped(ANY_TENANT).query<{ error: { code: string; message: string } }>('SELECT error FROM symphainy.executions WHERE execution_id = $1', [executionId]);
    assert.equal(rows[0]?.error.code, result.error!.code);
    assert.match(rows[0]!.error.message, /^sye1:/);
    const wal = await t.runtime.listWal({ tenantId, executionId });
    assert.deepEqual(journeyOf(wal), ['accepted→running', 'running→failed']);
    assert.deepEqual(wal.at(-1)!.payload.error, result.error);
    await t.runtime.flushEvents();
    const events = await t.runtime.listEvents({ tenantId, executionId });
    assert.deepEqual(events.map((ev) => ev.eventType), ['execution.started', 'execution.failed']);
    assert.deepEqual((events[1]!.payload as { error: unknown }).error, result.error);
  }

  describe('thrown errors: recorded with the unstorable characters escaped as \\uXXXX', () => {
    const cases: [string, () => unknown, string, RegExp][] = [
      ['NUL in an Error message', () => { throw new Error(`model said a${NUL}b`); }, 'SYM_ERR_REALM_FAILED', /model said a\\u0000b/],
      ['a lone high surrogate', () => { throw new Error(`x${LONE_HIGH}y`); }, 'SYM_ERR_REALM_FAILED', /x\\ud800y/],
      ['a lone low surrogate', () => { throw new TypeError(`x${LONE_LOW}`); }, 'SYM_ERR_REALM_FAILED', /x\\udfff/],
      ['a thrown string', () => { throw `raw${NUL}`; }, 'SYM_ERR_REALM_FAILED', /raw\\u0000/],
      ['a coded error with NUL in its code', () => {
        throw Object.assign(new Error(`coded${NUL}`), { code: `SYM_ERR_X${NUL}`, statusCode: 500, name: `N${NUL}` });
      }, 'SYM_ERR_REALM_FAILED', /coded\\u0000/],
      ['a coded error of the runtime family', () => {
        throw Object.assign(new Error(`mine ${LONE_HIGH}`), { code: 'SYM_ERR_MODEL_DOWN', statusCode: 503 });
      }, 'SYM_ERR_MODEL_DOWN', /mine \\ud800/],
      ['an error whose message getter throws', () => {
        const e = new Error('x');
        Object.defineProperty(e, 'message', { get() { throw new Error('no'); } });
        throw e;
      }, 'SYM_ERR_REALM_FAILED', /could not be read/],
      ['an object without a prototype', () => { throw Object.create(null); }, 'SYM_ERR_REALM_FAILED', /\[object Object\]|cannot be described/],
      ['a 100 000-character message', () => { throw new Error(`${'é'.repeat(100_000)}${NUL}`); }, 'SYM_ERR_REALM_FAILED', /more characters\)$/],
    ];
    for (const [name, fn, code, message] of cases) {
      it(name, async () => assertRecorded(await emit(fn), code, message));
    }

    it('the same intent id replays the recorded failure (no 409, no SYM_ERR_INTERRUPTED)', async () => {
      const intentId = uid('intent');
      const tenantId = uid('out');
      next = () => { throw new Error(`bad${NUL}`); };
      const first = await t.runtime.execute({ intentType: 'out.emit', tenantId, sessionId: 's', parameters: {}, intentId });
      const again = await t.runtime.execute({ intentType: 'out.emit', tenantId, sessionId: 's', parameters: {}, intentId });
      assert.equal(first.status, 'failed');
      assert.deepEqual(again, first);
    });
  });

  describe('data: refused with SYM_ERR_REALM_RESULT naming the field', () => {
    const persisted = (extra: Record<string, unknown>) => ({ resultType: 'workflow', renderings: { txt: 'x' }, ...extra });
    const cases: [string, () => unknown, RegExp][] = [
      ['an artifact key with NUL', () => ({ artifacts: { [`k${NUL}`]: persisted({}) } }), /artifact key "k\\u0000" contains a NUL/],
      ['an artifact key with a lone surrogate', () => ({ artifacts: { [`k${LONE_HIGH}`]: persisted({}) } }), /artifact key "k\\ud800" contains an unpaired/],
      ['an unknown field name of a structured artifact', () => ({ artifacts: { w: persisted({ [`f${NUL}`]: 1 }) } }), /unknown field 'f\\u0000'/],
      ['an unknown top-level field name', () => ({ artifacts: {}, [`x${LONE_LOW}`]: 1 }), /unknown field 'x\\udfff'/],
      ['a rendering name with NUL', () => ({ artifacts: { w: { resultType: 'workflow', renderings: { [`r${NUL}`]: 'x' } } } }), /rendering name "r\\u0000" contains a NUL/],
      ['a rendering name with a lone surrogate', () => ({ artifacts: { w: { resultType: 'workflow', renderings: { [LONE_HIGH]: 'x' } } } }), /rendering name "\\ud800"/],
      ['a result type with NUL', () => ({ artifacts: { w: persisted({ resultType: `wf${NUL}` }) } }), /artifact 'w': resultType "wf\\u0000" contains a NUL/],
      ['a tag with a lone surrogate', () => ({ artifacts: { w: persisted({ tags: ['ok', `t${LONE_HIGH}`] }) } }), /tags\[1\] "t\\ud800"/],
      ['a semantic payload value, nested', () => ({ artifacts: { w: persisted({ semanticPayload: { a: [{ b: `v${NUL}` }] } }) } }), /semanticPayload\.a\[0\]\.b contains a NUL/],
      ['a semantic payload key, nested', () => ({ artifacts: { w: persisted({ semanticPayload: { a: { [`k${LONE_LOW}`]: 1 } } }) } }), /semanticPayload\.a has a key "k\\udfff"/],
      ['a legacy semantic_payload value', () => ({ artifacts: { workflow: { steps: [], semantic_payload: { s: LONE_HIGH } } } }), /semanticPayload\.s contains an unpaired/],
      ['an event type with NUL', () => ({ events: [{ type: `done${NUL}`, data: {} }] }), /event #0: type "done\\u0000"/],
      ['event data, nested key', () => ({ events: [{ type: 'done', data: { x: { [`${NUL}`]: 1 } } }] }), /event #0 \('done'\): data\.x has a key "\\u0000"/],
      ['event data, nested value', () => ({ events: [{ type: 'done', data: [LONE_LOW] }] }), /data\[0\] contains an unpaired/],
      ['a media type with NUL', () => ({ artifacts: { w: { resultType: 'workflow', renderings: { r: rendering('x', `text/plain${NUL}`) } } } }), /rendering 'r': content type "text\/plain\\u0000" is not a media type/],
      ['a media type with a line break', () => ({ artifacts: { w: { resultType: 'workflow', renderings: { r: rendering('x', 'text/plain\r\nX-Evil: 1') } } } }), /is not a media type/],
      ['a string rendering with a lone surrogate (no UTF-8 form)', () => ({ artifacts: { w: { resultType: 'workflow', renderings: { r: `a${LONE_HIGH}` } } } }), /rendering 'r': is a string that contains an unpaired UTF-16 surrogate .* no UTF-8 form/],
    ];
    for (const [name, fn, message] of cases) {
      it(name, async () => {
        const result = await emit(fn);
        await assertRecorded(result, 'SYM_ERR_REALM_RESULT', message);
        assert.deepEqual(await t.runtime.listArtifacts({ tenantId: result.tenantId }), []);
      });
    }
  });

  it('NUL in a rendering is just a byte, and JSON renderings keep such strings as JSON escapes', async () => {
    const result = await emit(() => ({
      artifacts: { w: { resultType: 'workflow', semanticPayload: { ok: true }, renderings: { txt: `a${NUL}b`, json: { s: `x${NUL}${LONE_HIGH}` } } } },
    }));
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    const scope = { tenantId: result.tenantId };
    const id = result.artifacts[0]!.artifactId!;
    assert.deepEqual(Buffer.from((await t.runtime.readRendering(id, 'txt', scope)).bytes), Buffer.from(`a${NUL}b`, 'utf8'));
    const json = Buffer.from((await t.runtime.readRendering(id, 'json', scope)).bytes).toString('utf8');
    assert.equal(JSON.parse(json).s, `x${NUL}${LONE_HIGH}`);
  });
});

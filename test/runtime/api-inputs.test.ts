/**
 * The runtime API checks its inputs at its boundary.
 *
 * Every method refuses a string PostgreSQL cannot store
 * (a NUL, an unpaired UTF-16 surrogate) with SYM_ERR_INVALID_REQUEST naming
 * the argument's exact path — whether the string would be stored (a hold
 * reason, signal data) or only looked up (an id) — before anything is read
 * or written. The CLI and the HTTP API call these methods, so they inherit it.
 * Numbers and times that end up in a query (a LIMIT, a window) are checked
 * likewise: never a database error, never a silently empty answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidIntentError, InvalidRequestError, parseSolutionConfig, type Runtime } from '../../src/index.ts';
import { testRuntime, TEST_DRIVER, type TestRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

const NUL = 'a\u0000b';
const LONE = 'a\ud800';

/** Asserts `call` rejects with SYM_ERR_INVALID_REQUEST whose one issue names `path`. */
async function refused(call: () => Promise<unknown> | unknown, path: string, what = ''): Promise<void> {
  let err: unknown;
  try {
    await call();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InvalidRequestError, `${what || path}: expected InvalidRequestError, got ${String(err)}`);
  assert.deepEqual(err.issues.map((i) => i.path), [path], `${what || path}: ${err.message}`);
  assert.match(err.message, /NUL|surrogate/);
}

describe(`the runtime API refuses unstorable strings by path (${TEST_DRIVER})`, () => {
  let t: TestRuntime;
  let rt: Runtime;
  const tenantId = uid('unstorable');
  const scope = { tenantId };
  let executionId: string;
  let artifactId: string;
  before(async () => {
    t = await testRuntime({ solutionConfig: parseSolutionConfig({ name: 'unstorable', materialization_policy: { workflow: 'persist' } }) });
    rt = t.runtime;
    await rt.tenants.create(tenantId);
    const r = await rt.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's1', parameters: { sop_text: '1. a\n2. b' } });
    executionId = r.executionId;
    artifactId = r.artifacts.find((a) => a.artifactId)!.artifactId!;
  });
  after(() => t?.close());

  it('erasure: the subject value and key, the session', async () => {
    for (const value of [NUL, LONE, '\udc00x']) await refused(() => rt.erase({ tenantId, subject: { key: 'customer_id', value } }), 'subject.value');
    await refused(() => rt.erase({ tenantId, sessionId: NUL }), 'sessionId');
  });

  it('legal holds: the reason and the artifact id; nothing is held', async () => {
    for (const reason of [NUL, LONE]) await refused(() => rt.holdArtifact(artifactId, scope, reason), 'reason');
    await refused(() => rt.holdArtifact(NUL, scope, 'case 1'), 'artifactId');
    await refused(() => rt.releaseArtifact(LONE, scope), 'artifactId');
    assert.equal((await rt.getArtifact(artifactId, scope)).legalHold, null);
  });

  it('signals, approvals and retries: names, data, who and why', async () => {
    await refused(() => rt.signalExecution(executionId, NUL, scope), 'name');
    await refused(() => rt.signalExecution(executionId, 'go', scope, { data: { items: ['ok', { n: LONE }] } }), 'data.items[1].n');
    await refused(() => rt.signalExecution(executionId, 'go', scope, { data: { [NUL]: 1 } }), 'data.a\\u0000b');
    await refused(() => rt.signalExecution(executionId, 'go', scope, { sentBy: NUL }), 'sentBy');
    await refused(() => rt.decideApproval(executionId, 'ok', scope, { decision: 'approve', by: 'ops', reason: LONE }), 'reason');
    await refused(() => rt.decideApproval(executionId, 'ok', scope, { decision: 'approve', by: NUL }), 'by');
    await refused(() => rt.retryExecution(executionId, scope, { requestedBy: NUL }), 'requestedBy');
  });

  it('reads: every id and filter, and the tenant of a scope', async () => {
    const cases: [string, () => Promise<unknown>][] = [
      ['executionId', () => rt.getExecution(NUL, scope)],
      ['tenantId', () => rt.getExecution(executionId, { tenantId: NUL })],
      ['executionId', () => rt.waitForExecution(LONE, scope, { timeoutMs: 10 })],
      ['executionId', () => rt.listSteps(NUL, scope)],
      ['executionId', () => rt.explainExecution(NUL, scope)],
      ['artifactId', () => rt.getArtifact(NUL, scope)],
      ['rendering', () => rt.readRendering(artifactId, NUL, scope)],
      ['sessionId', () => rt.listExecutions({ tenantId, sessionId: NUL })],
      ['intentType', () => rt.listExecutions({ tenantId, intentType: LONE })],
      ['resultType', () => rt.listArtifacts({ tenantId, resultType: NUL })],
      ['executionId', () => rt.listWal({ tenantId, executionId: NUL })],
      ['executionId', () => rt.listEvents({ tenantId, executionId: NUL })],
      ['eventId', () => rt.eventPosition(NUL, tenantId)],
      ['artifactKey', () => rt.getCached({ tenantId, artifactKey: NUL })],
      ['cacheId', () => rt.keepCached(NUL, scope)],
      ['tenantId', () => rt.verifyWal({ tenantId: NUL })],
      ['tenantId', () => rt.listApprovals({ tenantId: LONE })],
    ];
    for (const [path, call] of cases) await refused(call, path, `${path} of ${call.toString()}`);
  });

  it('tenants and keys', async () => {
    await refused(() => rt.tenants.issueKey(NUL), 'tenantId');
    await refused(() => rt.tenants.keys(LONE), 'tenantId');
    await refused(() => rt.tenants.revokeKey(NUL), 'keyId');
  });

  it('intent parameters name their exact path (SYM_ERR_INVALID_INTENT), nested in lists and keys too', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sop_text: NUL }, 'parameters.sop_text'],
      [{ sop_text: '1. a', steps: [{ t: 'ok' }, { t: LONE }] }, 'parameters.steps[1].t'],
      [{ sop_text: '1. a', [NUL]: 1 }, 'parameters.a\\u0000b'],
    ];
    for (const [parameters, path] of cases) {
      for (const run of [() => rt.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters }), () => rt.submit({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters })]) {
        await assert.rejects(run(), (err: unknown) => err instanceof InvalidIntentError && err.issues.length === 1 && err.issues[0]!.path === path && err.message.includes(path));
      }
    }
  });

  it('numbers and time windows: out of range, not numbers, an empty window', async () => {
    const bad = async (call: () => Promise<unknown>, paths: string[], pattern: RegExp) => {
      await assert.rejects(call(), (err: unknown) =>
        err instanceof InvalidRequestError && JSON.stringify(err.issues.map((i) => i.path)) === JSON.stringify(paths) && pattern.test(err.message));
    };
    for (const limit of [1e20, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await bad(() => rt.listExecutions({ tenantId, limit }), ['limit'], /limit must be a whole number from 1 to 2147483647/);
      await bad(() => rt.listWal({ tenantId, limit }), ['limit'], /limit must be/);
      await bad(() => rt.listApprovals(scope, { limit }), ['limit'], /limit must be/);
    }
    await bad(() => rt.listWal({ tenantId, afterSeq: -1 }), ['afterSeq'], /afterSeq must be a whole number, 0 or more/);
    await bad(() => rt.listRetentionDue(scope, { withinSeconds: 1e20 }), ['withinSeconds'], /withinSeconds must be a number of seconds/);
    await bad(() => rt.waitForExecution(executionId, scope, { timeoutMs: Number.NaN }), ['timeoutMs'], /timeoutMs must be a whole number of milliseconds/);
    await bad(() => rt.listExecutions({ tenantId, since: '2030-01-01T00:00:00Z', until: '2020-01-01T00:00:00Z' }), ['since', 'until'], /since \(2030-01-01T00:00:00.000Z\) must be earlier than until \(2020-01-01T00:00:00.000Z\)/);
    await bad(() => rt.listExecutions({ tenantId, since: 'yesterday' }), ['since'], /since must be an ISO-8601 date or date-time/);
    await bad(() => rt.listExecutions({ tenantId, until: '+275760-01-01T00:00:00Z' }), ['until'], /years 1 to 9999/);
    // In range: answered.
    assert.equal((await rt.listExecutions({ tenantId, since: '2020-01-01', until: '2999-01-01T00:00:00Z', limit: 2147483647 })).length, 1);
  });
});

/**
 * Intent parameters: refused only when PostgreSQL cannot store them (a real
 * NUL, an unpaired surrogate) — never for text that merely looks like an
 * escape, such as the six characters `\u0000` in a Windows path or a regex.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { defineRealm, InvalidIntentError } from '../../src/index.ts';
import { jsonProblem } from '../../src/intent/intent.ts';
import { TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

const echo = defineRealm({
  name: 'echo',
  intents: { text: { params: z.object({ t: z.string() }), handler: () => ({}) } },
});

/** What jsonb refuses in a JS string: NUL and UTF-16 surrogates without their pair. */
const unstorable = (s: string) => /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe(`intent parameters that only look like escapes are stored exactly (${TEST_DRIVER})`, () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [echo] });
  });
  after(() => t?.close());

  it('refuses exactly the strings with a NUL or an unpaired surrogate, whatever backslashes surround them', () => {
    const piece = fc.constantFrom('\\', '\\\\', 'u0000', '\\u0000', '\\\\u0000', '\u0000', '\ud800', '\udc00', '\ud83d\ude00', 'a', 'ud800');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ unit: 'binary' })), { maxLength: 8 }), (parts) => {
        const s = parts.join('');
        assert.equal(jsonProblem({ t: s, [s]: 1 }) !== null, unstorable(s), JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('the literal text \\u0000 (a path, a regex) executes and is stored as typed; a real NUL is refused naming the parameters', async () => {
    const tenantId = uid('lit');
    for (const t0 of ['C:\\u0000\\dir', 'lit\\u0000eral', '\\\\u0000', '\\\\\\u0000x']) {
      const r = await t.runtime.execute({ intentType: 'echo.text', tenantId, sessionId: 's', parameters: { t: t0 } });
      assert.equal(r.status, 'completed', JSON.stringify(r.error));
      // Stored sealed (encryption at rest): read back through the runtime, exactly as typed.
      assert.equal((await t.runtime.getExecution(r.executionId, { tenantId })).parameters.t, t0);
    }
    await assert.rejects(
      t.runtime.execute({ intentType: 'echo.text', tenantId, sessionId: 's', parameters: { t: 'a\u0000b' } }),
      (err: unknown) => err instanceof InvalidIntentError && /NUL/.test(err.message),
    );
  });
});

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import * as api from '../../src/index.ts';

const errorClasses = Object.entries(api).filter(
  ([, v]) => typeof v === 'function' && v.prototype instanceof api.SymphainyError,
) as [string, new (...args: never[]) => api.SymphainyError][];

test('every error class has a unique SYM_ERR_ code, its own name, and a row in docs/errors.md', async () => {
  const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const codes = new Set<string>();
  assert.ok(errorClasses.length >= 10);
  for (const [name, Cls] of errorClasses) {
    // Construct with plausible arguments; every class takes a message or named fields first.
    const err = new (Cls as unknown as new (...a: unknown[]) => api.SymphainyError)('x', ['y']);
    assert.equal(err.name, name);
    assert.match(err.code, /^SYM_ERR_[A-Z_]+$/);
    assert.ok(!codes.has(err.code), `duplicate code ${err.code}`);
    codes.add(err.code);
    assert.ok(err.statusCode >= 400 && err.statusCode < 600);
    assert.ok(doc.includes(`| \`${err.code}\` | \`${name}\` | ${err.statusCode} |`), `docs/errors.md lacks ${err.code} (${name}, ${err.statusCode})`);
    assert.ok(api.isSymphainyError(err));
    assert.deepEqual(Object.keys(err.toJSON()).sort(), ['code', 'message', 'name']);
  }
});

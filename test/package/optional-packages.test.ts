import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MissingPackageError } from '../../src/errors/index.ts';
import { importOptional } from '../../src/package/optional-packages.ts';

// A package name nothing installs: its import fails the way a missing optional backend does.
const ABSENT = 'symphainy-test-absent-package';

test('a missing optional package becomes SYM_ERR_MISSING_PACKAGE naming every package of its set', async () => {
  await assert.rejects(importOptional(() => import(ABSENT), [ABSENT, 'other-part'], 'the thing'), (err: unknown) => {
    assert.ok(err instanceof MissingPackageError);
    assert.equal(err.code, 'SYM_ERR_MISSING_PACKAGE');
    assert.deepEqual(err.packages, [ABSENT, 'other-part']);
    assert.equal(err.message, `the thing needs the optional packages '${ABSENT}' and 'other-part', which are not installed: npm install ${ABSENT} other-part`);
    assert.equal((err.cause as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
    return true;
  });
});

test('a module that fails for another reason, or misses a package outside the set, fails as it is', async () => {
  const boom = new Error('driver failed to initialize');
  await assert.rejects(importOptional(() => Promise.reject(boom), ['pg'], 'x'), (err) => err === boom);
  await assert.rejects(importOptional(() => import(ABSENT), ['pg'], 'x'), (err: unknown) => {
    assert.ok(!(err instanceof MissingPackageError));
    assert.equal((err as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
    return true;
  });
});

test('an installed optional package loads', async () => {
  const { PgDb } = await importOptional(() => import('../../src/db/pg/pg-db.ts'), ['pg'], 'a postgres:// database URL');
  assert.equal(typeof PgDb.open, 'function');
});

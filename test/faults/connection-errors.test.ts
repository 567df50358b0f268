/**
 * Which driver errors mean "the connection failed, retry later" (and become
 * a retryable SYM_ERR_STORE naming the server) and which are the
 * statement's own (passed through unchanged).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreError } from '../../src/index.ts';
import { connectionFailure, isConnectionFailure } from '../../src/db/pg/connection-errors.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('PostgreSQL connection failures', () => {
  test('lost, refused, timed-out and terminated connections are connection failures', () => {
    for (const err of [
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated due to connection timeout'),
      new Error('Client has encountered a connection error and is not queryable'),
      coded('ECONNREFUSED'), coded('ECONNRESET'), coded('EPIPE'),
      coded('57P01', 'terminating connection due to administrator command'), coded('57P03'), coded('08006'), coded('57014'), coded('53300'),
    ]) assert.equal(isConnectionFailure(err), true, err.message);
  });

  test("a statement's own errors pass through unchanged", () => {
    for (const err of [coded('23505', 'duplicate key'), coded('42P01', 'no such table'), coded('3D000'), coded('28P01'), new TypeError('bad'), null, 'text']) {
      assert.equal(isConnectionFailure(err), false, String(err));
      assert.equal(connectionFailure(err, 'postgres://h/db'), err);
    }
  });

  test('a connection failure becomes a retryable SYM_ERR_STORE naming the server, with the cause', () => {
    const cause = new Error('Connection terminated unexpectedly');
    const err = connectionFailure(cause, 'postgres://app:***@db:5432/x') as StoreError;
    assert.ok(err instanceof StoreError);
    assert.equal(err.code, 'SYM_ERR_STORE');
    assert.equal(err.statusCode, 503);
    assert.match(err.message, /PostgreSQL connection to postgres:\/\/app:\*\*\*@db:5432\/x failed: Connection terminated unexpectedly \(retryable/);
    assert.equal(err.cause, cause);
    assert.match((connectionFailure(coded('57014', 'canceling statement due to statement timeout'), 'h') as Error).message, /statement timed out/);
  });
});

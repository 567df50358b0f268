import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLogger } from '../../src/runtime/logger.ts';

test('the default logger is at warn unless SYMPHAINY_LOG_LEVEL says otherwise', () => {
  const saved = process.env.SYMPHAINY_LOG_LEVEL;
  try {
    delete process.env.SYMPHAINY_LOG_LEVEL;
    assert.equal(defaultLogger().level, 'warn');
    process.env.SYMPHAINY_LOG_LEVEL = 'debug';
    assert.equal(defaultLogger().level, 'debug');
  } finally {
    if (saved === undefined) delete process.env.SYMPHAINY_LOG_LEVEL;
    else process.env.SYMPHAINY_LOG_LEVEL = saved;
  }
});

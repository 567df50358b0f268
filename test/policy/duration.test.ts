import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/policy/index.ts';

describe('parseDuration', () => {
  it('reads unit suffixes and bare seconds', () => {
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('7d'), 604_800);
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration(45), 45);
  });

  for (const bad of ['abc', '', '1h30m', '-5m', '1.5h', '10 minutes', 0, -1, 1.5, true, null, [1], { s: 1 }, Number.NaN]) {
    it(`refuses ${JSON.stringify(bad) ?? String(bad)}`, () => {
      assert.throws(() => parseDuration(bad), (err: Error) => {
        assert.match(err.message, /^expected a duration like 30s, 15m, 1h or 7d \(or seconds\), got /);
        return true;
      });
    });
  }

  it('quotes the offending string in the message', () => {
    assert.throws(() => parseDuration('abc'), {
      message: 'expected a duration like 30s, 15m, 1h or 7d (or seconds), got "abc"',
    });
  });

  it('formats back to the shortest exact unit', () => {
    assert.equal(formatDuration(3600), '1h');
    assert.equal(formatDuration(600), '10m');
    assert.equal(formatDuration(90), '90s');
    assert.equal(formatDuration(172_800), '2d');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors/index.ts';
import { formatDuration, parseDuration } from '../../src/policy/index.ts';
import { durationOption, MAX_DURATION_SECONDS, MAX_TIMER_SECONDS, parseDurationMs } from '../../src/policy/duration.ts';
import { durationMillis, durationSeconds } from '../../src/cli/input.ts';

describe('parseDuration', () => {
  it('reads unit suffixes and bare seconds', () => {
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('7d'), 604_800);
    assert.equal(parseDuration('2w'), 1_209_600);
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration(45), 45);
    assert.equal(parseDuration('1.5h'), 5400, 'a fraction of a larger unit that is whole seconds');
    assert.equal(parseDuration('36500d'), MAX_DURATION_SECONDS, '100 years is the longest');
  });

  it('reads milliseconds and fractions of a second where a setting takes them', () => {
    const sub = { subSecond: true };
    assert.equal(parseDuration('200ms', sub), 0.2);
    assert.equal(parseDuration('0.2', sub), 0.2);
    assert.equal(parseDuration(0.2, sub), 0.2);
    assert.equal(parseDuration('1.5s', sub), 1.5);
    assert.equal(parseDurationMs('0.1', sub), 100);
    assert.equal(parseDurationMs('250', { ...sub, plain: 'ms' }), 250, 'bare numbers in milliseconds for settings named so');
    assert.equal(parseDurationMs('2s', { ...sub, plain: 'ms' }), 2000);
  });

  for (const bad of ['abc', '', '1h30m', '-5m', '10 minutes', '5 s', '.5s', '1e3', 0, -1, '0', '0ms', true, null, [1], { s: 1 }, Number.NaN, Infinity]) {
    it(`refuses ${JSON.stringify(bad) ?? String(bad)}`, () => {
      assert.throws(() => parseDuration(bad), (err: Error) => {
        assert.match(err.message, /^expected a duration like 30s, 15m, 1h or 7d \(or seconds\), got /);
        return true;
      });
    });
  }

  it('names the offending value and the limit, exactly', () => {
    const cases: [unknown, object, string][] = [
      ['abc', {}, 'expected a duration like 30s, 15m, 1h or 7d (or seconds), got "abc"'],
      ['soon', { subSecond: true }, 'expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got "soon"'],
      ['99999999999d', {}, '"99999999999d" is longer than the maximum of 100 years (36500d)'],
      ['36501d', {}, '"36501d" is longer than the maximum of 100 years (36500d)'],
      [99_999_999_999 * 86_400, {}, '8639999999913600 is longer than the maximum of 100 years (36500d)'],
      ['1' + '0'.repeat(400), {}, `expected a duration like 30s, 15m, 1h or 7d (or seconds), got "1${'0'.repeat(77)}…`],
      ['25d', { max: MAX_TIMER_SECONDS, subSecond: true }, '"25d" is longer than the maximum of 24d (the longest timer)'],
      ['200ms', {}, '"200ms" is not a whole number of seconds (this setting takes s, m, h, d or w)'],
      [1.5, {}, '1.5 is not a whole number of seconds (this setting takes s, m, h, d or w)'],
      ['0.0001', { subSecond: true }, '"0.0001" is finer than a millisecond; expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds)'],
      ['100ms', { subSecond: true, min: 0.3 }, '"100ms" is shorter than the minimum of 300ms'],
    ];
    for (const [value, limits, message] of cases) assert.throws(() => parseDuration(value, limits), { message }, String(value));
  });

  it('formats back to the shortest exact unit', () => {
    assert.equal(formatDuration(3600), '1h');
    assert.equal(formatDuration(600), '10m');
    assert.equal(formatDuration(90), '90s');
    assert.equal(formatDuration(172_800), '2d');
    assert.equal(formatDuration(0.2), '200ms');
  });
});

describe('duration flags and options', () => {
  it('a flag or option error is a ConfigError naming it and the value', () => {
    const poll = durationMillis('--poll-interval', { subSecond: true, max: MAX_TIMER_SECONDS });
    assert.equal(poll('200ms'), 200);
    assert.equal(poll('0.2'), 200, 'bare numbers are seconds');
    assert.equal(poll('2s'), 2000);
    assert.throws(() => poll('0'), (err: unknown) =>
      err instanceof ConfigError && err.code === 'SYM_ERR_CONFIG' &&
      err.message === '--poll-interval: expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got "0"');
    assert.throws(() => poll('30d'), { message: '--poll-interval: "30d" is longer than the maximum of 24d (the longest timer)' });
    assert.equal(durationSeconds('--since')('7d'), 604_800);
    assert.throws(() => durationSeconds('--since')('99999999999d'), { message: '--since: "99999999999d" is longer than the maximum of 100 years (36500d)' });
    const timeout = durationMillis('--timeout', { plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS });
    assert.equal(timeout('1500'), 1500, '--timeout keeps bare milliseconds');
    assert.equal(timeout('30s'), 30_000);
    assert.throws(() => timeout('0.1'), { message: /^--timeout: "0\.1" is finer than a millisecond; expected a duration like 200ms, 30s, 15m, 1h or 7d \(or milliseconds\)$/ });
    assert.throws(() => durationOption('sweepIntervalSeconds', 3e6, { subSecond: true, max: MAX_TIMER_SECONDS }), {
      message: 'sweepIntervalSeconds: 3000000 is longer than the maximum of 24d (the longest timer)',
    });
    assert.equal(durationOption('realmTimeoutMs', 250, { unit: 'ms', plain: 'ms', subSecond: true }), 250);
    assert.throws(() => durationOption('realmTimeoutMs', 2.5, { unit: 'ms', plain: 'ms', subSecond: true }), {
      message: 'realmTimeoutMs: 2.5 is finer than a millisecond; expected a duration like 200ms, 30s, 15m, 1h or 7d (or milliseconds)',
    });
  });
});

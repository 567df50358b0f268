import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomes, splitWeeks } from '../../src/examples/outcomes.ts';
import { accepts, artifact, renderingOf, renderingSnapshot, run } from './helpers.ts';

/** Outcomes intents return the legacy shape: one JSON rendering named after the key, semantic payload split off. */
async function legacy(intent: string, key: string, params: unknown) {
  const { raw, result } = await run(outcomes, intent, params);
  assert.deepEqual(Object.keys(raw.artifacts), [key]);
  assert.equal(raw.artifacts[key].renderings, undefined, 'legacy: no renderings field');
  assert.ok(raw.artifacts[key].semantic_payload, 'legacy artifact carries a semantic_payload');
  const a = artifact(result, key);
  assert.equal(a.resultType, key);
  assert.equal(a.shape, 'legacy');
  assert.equal(a.renderings.length, 1);
  const r = renderingOf(a, key);
  assert.equal(r.contentType, 'application/json');
  const data = JSON.parse(r.text);
  assert.equal(data.semantic_payload, undefined, 'semantic payload is not part of the rendering');
  return { a, data, payload: a.semanticPayload as any, result };
}

describe('splitWeeks', () => {
  it('covers the horizon with consecutive, near-equal ranges', () => {
    assert.deepEqual(splitWeeks(10, 3), [
      { start: 1, end: 4 },
      { start: 5, end: 7 },
      { start: 8, end: 10 },
    ]);
    assert.deepEqual(splitWeeks(1, 1), [{ start: 1, end: 1 }]);
  });
});

describe('outcomes.create_roadmap', () => {
  it('spreads one phase per goal over the horizon', async () => {
    const { data, payload, result } = await legacy('create_roadmap', 'roadmap', {
      goals: ['Digitise SOP', 'Automate provisioning', 'Self-service SSO'],
      horizon_weeks: 12,
    });
    assert.match(payload.roadmap_id, /^rm_[0-9a-f]{12}$/);
    assert.deepEqual(payload, { roadmap_id: payload.roadmap_id, goal_count: 3, phase_count: 3, horizon_weeks: 12 });
    assert.deepEqual(
      data.phases.map((p: any) => [p.phase, p.start_week, p.end_week, p.goals]),
      [
        [1, 1, 4, ['Digitise SOP']],
        [2, 5, 8, ['Automate provisioning']],
        [3, 9, 12, ['Self-service SSO']],
      ],
    );
    assert.deepEqual(result.events, [{ eventType: 'roadmap.created', data: { roadmap_id: payload.roadmap_id, phase_count: 3 } }]);
  });

  it('defaults to 12 weeks and groups goals when there are more goals than weeks', async () => {
    const d = await legacy('create_roadmap', 'roadmap', { goals: ['a'] });
    assert.equal(d.payload.horizon_weeks, 12);
    assert.deepEqual([d.data.phases[0].start_week, d.data.phases[0].end_week], [1, 12]);

    const many = await legacy('create_roadmap', 'roadmap', { goals: ['a', 'b', 'c', 'd', 'e'], horizon_weeks: 2 });
    assert.equal(many.payload.phase_count, 2);
    assert.deepEqual(many.data.phases.map((p: any) => p.goals), [['a', 'b', 'c'], ['d', 'e']]);
    assert.deepEqual(many.data.phases.map((p: any) => p.end_week), [1, 2]);
  });

  it('is deterministic', async () => {
    const p = { goals: ['x', 'y'], horizon_weeks: 7 };
    const a = await run(outcomes, 'create_roadmap', p);
    const b = await run(outcomes, 'create_roadmap', p);
    assert.deepEqual(renderingSnapshot(a.result), renderingSnapshot(b.result));
  });

  it('rejects bad parameters', () => {
    assert.equal(accepts(outcomes, 'create_roadmap', {}), false, 'missing goals');
    assert.equal(accepts(outcomes, 'create_roadmap', { goals: [] }), false, 'empty goals');
    assert.equal(accepts(outcomes, 'create_roadmap', { goals: [' '] }), false, 'blank goal');
    assert.equal(accepts(outcomes, 'create_roadmap', { goals: ['a'], horizon_weeks: 0 }), false, 'horizon 0');
    assert.equal(accepts(outcomes, 'create_roadmap', { goals: ['a'], horizon_weeks: 105 }), false, 'horizon > 104');
    assert.equal(accepts(outcomes, 'create_roadmap', { goals: ['a'], horizon_weeks: 2.5 }), false, 'fractional');
    assert.equal(accepts(outcomes, 'create_roadmap', { goals: ['a'], horizon_weeks: 104 }), true);
  });
});

describe('outcomes.create_poc', () => {
  it('plans a time-boxed PoC with measurable criteria', async () => {
    const { data, payload, result } = await legacy('create_poc', 'poc', {
      hypothesis: 'Automation cuts onboarding to 3 days',
      success_criteria: ['Median <= 3 days', 'No manual steps'],
    });
    assert.match(payload.poc_id, /^poc_[0-9a-f]{12}$/);
    assert.deepEqual(payload, {
      poc_id: payload.poc_id,
      hypothesis: 'Automation cuts onboarding to 3 days',
      criteria_count: 2,
      duration_weeks: 4,
    });
    assert.deepEqual(data.success_criteria[1], { id: 'c2', criterion: 'No manual steps', evaluated_in_week: 4 });
    assert.deepEqual(data.plan.map((p: any) => p.weeks), ['1', '2-3', '4']);
    assert.deepEqual(result.events.map((e) => e.eventType), ['poc.created']);
  });

  it('handles one- and two-week PoCs', async () => {
    const one = await legacy('create_poc', 'poc', { hypothesis: 'h', success_criteria: ['c'], duration_weeks: 1 });
    assert.deepEqual(one.data.plan.map((p: any) => p.weeks), ['1']);
    const two = await legacy('create_poc', 'poc', { hypothesis: 'h', success_criteria: ['c'], duration_weeks: 2 });
    assert.deepEqual(two.data.plan.map((p: any) => p.weeks), ['1', '2']);
  });

  it('rejects bad parameters', () => {
    assert.equal(accepts(outcomes, 'create_poc', { success_criteria: ['c'] }), false, 'missing hypothesis');
    assert.equal(accepts(outcomes, 'create_poc', { hypothesis: 'h', success_criteria: [] }), false, 'no criteria');
    assert.equal(accepts(outcomes, 'create_poc', { hypothesis: 'h', success_criteria: ['c'], duration_weeks: 0 }), false);
    assert.equal(accepts(outcomes, 'create_poc', { hypothesis: 'h', success_criteria: ['c'] }), true);
  });
});

describe('outcomes.create_blueprint', () => {
  it('lists components and integrations', async () => {
    const { data, payload, result } = await legacy('create_blueprint', 'blueprint', {
      name: 'Onboarding platform',
      components: ['Portal', 'Provisioning service'],
      integrations: ['Salesforce'],
    });
    assert.match(payload.blueprint_id, /^bp_[0-9a-f]{12}$/);
    assert.deepEqual(payload, {
      blueprint_id: payload.blueprint_id,
      name: 'Onboarding platform',
      component_count: 2,
      integration_count: 1,
    });
    assert.deepEqual(data.components, [
      { id: 'comp1', name: 'Portal' },
      { id: 'comp2', name: 'Provisioning service' },
    ]);
    assert.deepEqual(data.integrations, [{ id: 'int1', name: 'Salesforce' }]);
    assert.deepEqual(result.events.map((e) => e.eventType), ['blueprint.created']);
  });

  it('integrations are optional', async () => {
    const { payload, data } = await legacy('create_blueprint', 'blueprint', { name: 'n', components: ['c'] });
    assert.equal(payload.integration_count, 0);
    assert.deepEqual(data.integrations, []);
  });

  it('rejects bad parameters', () => {
    assert.equal(accepts(outcomes, 'create_blueprint', { components: ['c'] }), false, 'missing name');
    assert.equal(accepts(outcomes, 'create_blueprint', { name: 'n', components: [] }), false, 'no components');
    assert.equal(accepts(outcomes, 'create_blueprint', { name: 'n', components: ['c'], integrations: 'x' }), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { solution } from '../../src/examples/solution.ts';
import { accepts, artifact, renderingOf, renderingSnapshot, run } from './helpers.ts';

describe('solution.compose', () => {
  const params = {
    name: 'Onboarding modernisation',
    summary: 'One quarter to self-service onboarding.',
    roadmap_artifact_id: 'art_rm',
    blueprint_artifact_id: 'art_bp',
  };

  it('returns a structured snake_case solution artifact referencing the given artifacts', async () => {
    const { raw, result } = await run(solution, 'compose', params);
    assert.equal(raw.artifacts.solution.result_type, 'solution');
    const a = artifact(result, 'solution');
    assert.equal(a.resultType, 'solution');
    assert.equal(a.shape, 'structured');
    const payload = a.semanticPayload as any;
    assert.match(payload.solution_id, /^sol_[0-9a-f]{12}$/);
    assert.equal(payload.name, 'Onboarding modernisation');
    assert.deepEqual(payload.referenced_artifacts, [
      { role: 'roadmap', artifact_id: 'art_rm' },
      { role: 'blueprint', artifact_id: 'art_bp' },
    ]);

    const md = renderingOf(a, 'markdown');
    assert.match(md.contentType, /^text\/markdown/);
    assert.ok(md.text.startsWith('# Onboarding modernisation\n\nOne quarter to self-service onboarding.\n'));
    assert.ok(md.text.includes('- roadmap: `art_rm`'));
    assert.ok(!md.text.includes('poc:'));

    const json = renderingOf(a, 'solution_json');
    assert.equal(json.contentType, 'application/json');
    assert.deepEqual(JSON.parse(json.text).artifacts.map((r: any) => r.artifact_id), ['art_rm', 'art_bp']);
    assert.deepEqual(result.events, [
      { eventType: 'solution.composed', data: { solution_id: payload.solution_id, artifact_count: 2 } },
    ]);
  });

  it('composes with no references', async () => {
    const { result } = await run(solution, 'compose', { name: 'Bare' });
    const a = artifact(result, 'solution');
    assert.deepEqual((a.semanticPayload as any).referenced_artifacts, []);
    assert.equal((a.semanticPayload as any).summary, null);
    assert.ok(renderingOf(a, 'markdown').text.includes('No artifacts referenced'));
  });

  it('is deterministic', async () => {
    const a = await run(solution, 'compose', params);
    const b = await run(solution, 'compose', params);
    assert.deepEqual(renderingSnapshot(a.result), renderingSnapshot(b.result));
    assert.deepEqual(a.result.artifacts[0]!.semanticPayload, b.result.artifacts[0]!.semanticPayload);
  });

  it('rejects bad parameters', () => {
    assert.equal(accepts(solution, 'compose', {}), false, 'missing name');
    assert.equal(accepts(solution, 'compose', { name: '' }), false, 'empty name');
    assert.equal(accepts(solution, 'compose', { name: 'n', poc_artifact_id: 5 }), false, 'id not a string');
    assert.equal(accepts(solution, 'compose', { name: 'n', roadmap_id: 'x' }), false, 'unknown key');
  });
});

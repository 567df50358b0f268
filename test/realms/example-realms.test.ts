import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRealm, type Realm } from '../../src/realm/define-realm.ts';
import { KNOWN_RESULT_TYPES } from '../../src/realm/result-types.ts';
import { exampleRealms, journey, outcomes, solution } from '../../src/examples/realms.ts';
import { artifact, renderingOf, run } from './helpers.ts';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Each example parameter file and the intent it is for. */
const EXAMPLES: [file: string, realm: Realm, intent: string][] = [
  ['sop_to_workflow.json', journey, 'sop_to_workflow'],
  ['workflow_to_sop.json', journey, 'workflow_to_sop'],
  ['create_roadmap.json', outcomes, 'create_roadmap'],
  ['create_poc.json', outcomes, 'create_poc'],
  ['create_blueprint.json', outcomes, 'create_blueprint'],
  ['compose_solution.json', solution, 'compose'],
];

describe('example realms', () => {
  it('are exported as defined realms named journey, outcomes, solution', () => {
    assert.deepEqual(exampleRealms.map((r) => r.name), ['journey', 'outcomes', 'solution']);
    for (const realm of exampleRealms) assert.ok(isRealm(realm));
    assert.deepEqual(Object.keys(journey.intents), ['sop_to_workflow', 'workflow_to_sop']);
    assert.deepEqual(Object.keys(outcomes.intents), ['create_roadmap', 'create_poc', 'create_blueprint']);
    assert.deepEqual(Object.keys(solution.intents), ['compose']);
  });

  it('every intent has a description and a params schema', () => {
    for (const realm of exampleRealms) {
      for (const [name, def] of Object.entries(realm.intents)) {
        assert.ok(def.description, `${realm.name}.${name} description`);
        assert.ok(def.params, `${realm.name}.${name} params`);
      }
    }
  });

  it('every example parameter file is valid for its intent, and together they produce every known result type', async () => {
    const produced = new Set<string>();
    const shapes = new Set<string>();
    for (const [file, realm, intent] of EXAMPLES) {
      const params = JSON.parse(readFileSync(root(`examples/${file}`), 'utf8'));
      const { result } = await run(realm, intent, params);
      assert.ok(result.artifacts.length > 0, file);
      for (const a of result.artifacts) {
        produced.add(a.resultType);
        shapes.add(a.shape);
        assert.ok(a.semanticPayload && Object.keys(a.semanticPayload).length > 0, `${file}: ${a.key} semantic payload`);
        assert.ok(a.renderings.length > 0, `${file}: ${a.key} renderings`);
        for (const r of a.renderings) assert.ok(r.bytes.byteLength > 0, `${file}: ${a.key}/${r.name} is empty`);
      }
      assert.ok(result.events.length > 0, `${file}: events`);
    }
    assert.deepEqual([...produced].sort(), [...KNOWN_RESULT_TYPES].sort());
    assert.deepEqual([...shapes].sort(), ['legacy', 'structured']);
  });

  it('the example SOP is a realistic six-step procedure', async () => {
    const params = JSON.parse(readFileSync(root('examples/sop_to_workflow.json'), 'utf8'));
    const { result } = await run(journey, 'sop_to_workflow', params);
    const payload = artifact(result, 'workflow').semanticPayload as any;
    assert.equal(payload.title, 'Onboarding a new enterprise customer');
    assert.equal(payload.stepCount, 6);
    const svg = renderingOf(artifact(result, 'visual'), 'svg').text;
    assert.ok(svg.includes('&amp;') && !svg.includes(' & '), 'the & of step 3 is escaped');
  });
});

describe('examples/my-realm.mjs', () => {
  // The module imports `symphainy` itself (resolved through package.json "exports").
  const ready = existsSync(root('src/index.ts'));

  it('is a plain-JS realm with a hand-written params check', { skip: !ready && 'src/index.ts is not there yet' }, async () => {
    const mod = await import(root('examples/my-realm.mjs'));
    const realm: Realm = mod.default;
    assert.ok(isRealm(realm));
    assert.equal(realm.name, 'my');
    assert.throws(() => (realm.intents.greet!.params as { parse(x: unknown): unknown }).parse({}), {
      message: 'name is required',
    });
    const { result } = await run(realm, 'greet', { name: ' Ada ' });
    assert.equal(artifact(result, 'greeting').resultType, 'sop');
    assert.equal(artifact(result, 'greeting').shape, 'structured');
    assert.ok(renderingOf(artifact(result, 'greeting'), 'markdown').text.includes('Ada'));
    assert.equal(artifact(result, 'note').resultType, 'unknown');
    assert.equal(artifact(result, 'note').shape, 'legacy');
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { journey } from '../../src/examples/journey.ts';
import { parseSop } from '../../src/examples/lib/sop-parser.ts';
import { escapeMermaid, wrap } from '../../src/examples/lib/flowchart.ts';
import { accepts, artifact, assertWellFormedXml, fakeContext, renderingOf, renderingSnapshot, run } from './helpers.ts';

const SOP = `# Customer onboarding

This procedure applies to all new customers.

1. Confirm the signed contract & PO
2) Create the tenant for <ACME> "Corp"
Step 3: Invite the primary admin
- Schedule the kickoff #1
* Hand over to Customer Success
`;

describe('parseSop', () => {
  it('reads numbered lines, Step N:, and bullets in order; ignores prose and headings', () => {
    const parsed = parseSop(SOP);
    assert.equal(parsed.heading, 'Customer onboarding');
    assert.deepEqual(parsed.steps, [
      'Confirm the signed contract & PO',
      'Create the tenant for <ACME> "Corp"',
      'Invite the primary admin',
      'Schedule the kickoff #1',
      'Hand over to Customer Success',
    ]);
  });

  it('uses every non-empty line when there is no list', () => {
    assert.deepEqual(parseSop('# T\n\nOpen the valve\n\n  Check the pressure  \n').steps, ['Open the valve', 'Check the pressure']);
  });

  it('joins an indented continuation line to its step', () => {
    assert.deepEqual(parseSop('1. Open the\n   valve slowly\n2. Close it').steps, ['Open the valve slowly', 'Close it']);
  });

  it('does not mistake decimals or negative numbers for list markers', () => {
    assert.deepEqual(parseSop('1. Add 1.5 kg\n-5 degrees is too cold\n2. Stir').steps, ['Add 1.5 kg', 'Stir']);
  });
});

describe('journey.sop_to_workflow', () => {
  it('returns structured workflow and visual artifacts', async () => {
    const { raw, result } = await run(journey, 'sop_to_workflow', { sop_text: SOP });
    assert.equal(result.artifacts.length, 2);

    const wf = artifact(result, 'workflow');
    assert.equal(wf.resultType, 'workflow');
    assert.equal(wf.shape, 'structured');
    assert.ok(raw.artifacts.workflow.semanticPayload, 'camelCase spelling');
    const payload = wf.semanticPayload as any;
    assert.equal(payload.title, 'Customer onboarding');
    assert.equal(payload.stepCount, 5);
    assert.deepEqual(payload.steps[0], { id: 's1', order: 1, action: 'Confirm the signed contract & PO' });
    assert.deepEqual(payload.steps.map((s: any) => s.order), [1, 2, 3, 4, 5]);
    const expectedId =
      'wf_' + createHash('sha256').update(JSON.stringify(payload.steps.map((s: any) => s.action))).digest('hex').slice(0, 12);
    assert.equal(payload.workflowId, expectedId);
    assert.match(payload.workflowId, /^wf_[0-9a-f]{12}$/);

    const json = renderingOf(wf, 'workflow_json');
    assert.equal(json.contentType, 'application/json');
    assert.deepEqual(JSON.parse(json.text), { title: payload.title, steps: payload.steps });
    const md = renderingOf(wf, 'markdown');
    assert.match(md.contentType, /^text\/markdown/);
    assert.ok(md.text.startsWith('# Customer onboarding\n\n1. Confirm the signed contract & PO\n'));

    const visual = artifact(result, 'visual');
    assert.equal(visual.resultType, 'visual');
    assert.equal(visual.shape, 'structured');
    assert.deepEqual(visual.semanticPayload, { kind: 'flowchart', nodeCount: 5, workflowId: payload.workflowId });

    assert.deepEqual(result.events, [
      { eventType: 'workflow.generated', data: { workflowId: payload.workflowId, stepCount: 5 } },
    ]);
  });

  it('renders Mermaid as flowchart TD with escaped labels', async () => {
    const { result } = await run(journey, 'sop_to_workflow', { sop_text: SOP });
    const mermaid = renderingOf(artifact(result, 'visual'), 'mermaid');
    assert.equal(mermaid.contentType, 'text/vnd.mermaid');
    const lines = mermaid.text.trimEnd().split('\n');
    assert.equal(lines[0], 'flowchart TD');
    assert.ok(lines.includes('  s2["2. Create the tenant for #lt;ACME#gt; #quot;Corp#quot;"]'));
    assert.ok(lines.includes('  s4["4. Schedule the kickoff #35;1"]'));
    assert.ok(lines.includes('  s4 --> s5'));
    assert.equal(lines.filter((l) => l.includes('-->')).length, 4);
    assert.equal(escapeMermaid('a & b'), 'a #amp; b');
  });

  it('renders a standalone, well-formed SVG flowchart with escaped text', async () => {
    const { result } = await run(journey, 'sop_to_workflow', { sop_text: SOP });
    const svg = renderingOf(artifact(result, 'visual'), 'svg');
    assert.equal(svg.contentType, 'image/svg+xml');
    assert.ok(svg.text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.text.trimEnd().endsWith('</svg>'));
    assertWellFormedXml(svg.text);
    assert.ok(svg.text.includes('Confirm the signed contract &amp; PO'));
    assert.ok(svg.text.includes('&lt;ACME&gt; &quot;Corp&quot;'));
    assert.ok(!svg.text.includes('<ACME>'));
    assert.equal(svg.text.match(/<g id="s\d+">/g)?.length, 5, 'one box per step');
    assert.equal(svg.text.match(/marker-end="url\(#arrow\)"/g)?.length, 4, 'one arrow between consecutive steps');
  });

  it('wraps long step text over several lines inside the box', async () => {
    const long = 'word '.repeat(60).trim();
    const { result } = await run(journey, 'sop_to_workflow', { sop_text: `1. ${long}\n2. ${'x'.repeat(130)}` });
    const svg = renderingOf(artifact(result, 'visual'), 'svg').text;
    assertWellFormedXml(svg);
    assert.ok((svg.match(/<tspan/g)?.length ?? 0) > 6);
    for (const line of wrap(long, 52)) assert.ok(line.length <= 52);
    assert.deepEqual(wrap('x'.repeat(110), 52).map((l) => l.length), [52, 52, 6]);
  });

  it('prefers the title parameter, then the heading, then a default', async () => {
    const titled = await run(journey, 'sop_to_workflow', { sop_text: SOP, title: 'Onboarding v2' });
    assert.equal((artifact(titled.result, 'workflow').semanticPayload as any).title, 'Onboarding v2');
    const untitled = await run(journey, 'sop_to_workflow', { sop_text: 'Do a\nDo b' });
    assert.equal((artifact(untitled.result, 'workflow').semanticPayload as any).title, 'Untitled workflow');
  });

  it('is deterministic: same input, byte-identical renderings and ids', async () => {
    const a = await run(journey, 'sop_to_workflow', { sop_text: SOP });
    const b = await run(journey, 'sop_to_workflow', { sop_text: SOP });
    assert.deepEqual(renderingSnapshot(a.result), renderingSnapshot(b.result));
    assert.deepEqual(a.result.artifacts.map((x) => x.semanticPayload), b.result.artifacts.map((x) => x.semanticPayload));
  });

  it('workflowId depends on the steps only, not on the title or formatting', async () => {
    const a = await run(journey, 'sop_to_workflow', { sop_text: '1. A\n2. B', title: 'One' });
    const b = await run(journey, 'sop_to_workflow', { sop_text: '- A\n-   B', title: 'Two' });
    const c = await run(journey, 'sop_to_workflow', { sop_text: '1. A\n2. C' });
    const id = (r: typeof a) => (artifact(r.result, 'workflow').semanticPayload as any).workflowId;
    assert.equal(id(a), id(b));
    assert.notEqual(id(a), id(c));
  });

  it('throws when the text has no steps', async () => {
    await assert.rejects(run(journey, 'sop_to_workflow', { sop_text: '# Only a heading\n## and another' }), {
      message: 'no steps found in sop_text',
    });
  });

  it('rejects bad parameters', () => {
    assert.equal(accepts(journey, 'sop_to_workflow', {}), false, 'missing sop_text');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: '' }), false, 'empty');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: '  \n ' }), false, 'blank');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: 42 }), false, 'not a string');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: 'x'.repeat(100_001) }), false, 'too long');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: '1. a', title: '' }), false, 'empty title');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: '1. a', sop: 'typo' }), false, 'unknown key');
    assert.equal(accepts(journey, 'sop_to_workflow', { sop_text: 'x'.repeat(100_000) }), true);
  });

  it('ignores the execution context (no clock, no storage)', async () => {
    const def = journey.intents.sop_to_workflow!;
    const params = { sop_text: '1. a' };
    const a = normalize(await def.handler(params, fakeContext('journey', 'sop_to_workflow')));
    const b = normalize(await def.handler(params, { ...fakeContext('journey', 'sop_to_workflow'), executionId: 'other' }));
    assert.deepEqual(a, b);
  });
});

const normalize = (x: unknown) => JSON.stringify(x);

describe('journey.workflow_to_sop', () => {
  const params = {
    workflow: { title: 'Access review', steps: ['Export accounts', { action: 'Send to <team> leads & wait' }] },
    workflow_artifact_id: 'art_123',
  };

  it('returns a structured snake_case sop artifact', async () => {
    const { raw, result } = await run(journey, 'workflow_to_sop', params);
    assert.equal(raw.artifacts.sop.result_type, 'sop');
    assert.ok(raw.artifacts.sop.semantic_payload, 'snake_case spelling');
    const sop = artifact(result, 'sop');
    assert.equal(sop.resultType, 'sop');
    assert.equal(sop.shape, 'structured');
    const payload = sop.semanticPayload as any;
    assert.match(payload.sop_id, /^sop_[0-9a-f]{12}$/);
    assert.equal(payload.title, 'Access review');
    assert.equal(payload.step_count, 2);
    assert.equal(payload.source_workflow_artifact_id, 'art_123');
    const md = renderingOf(sop, 'markdown');
    assert.match(md.contentType, /^text\/markdown/);
    assert.ok(md.text.startsWith('# Access review\n\n1. Export accounts\n2. Send to <team> leads & wait\n'));
    assert.ok(md.text.includes('art_123'));
    assert.deepEqual(result.events.map((e) => e.eventType), ['sop.generated']);
    assert.deepEqual(result.events[0]!.data, { sop_id: payload.sop_id, step_count: 2, source_workflow_artifact_id: 'art_123' });
  });

  it("accepts sop_to_workflow's workflow_json rendering as its workflow (round trip)", async () => {
    const wf = await run(journey, 'sop_to_workflow', { sop_text: SOP });
    const workflow = JSON.parse(renderingOf(artifact(wf.result, 'workflow'), 'workflow_json').text);
    const { result } = await run(journey, 'workflow_to_sop', { workflow });
    const payload = artifact(result, 'sop').semanticPayload as any;
    assert.equal(payload.title, 'Customer onboarding');
    assert.equal(payload.step_count, 5);
    assert.equal(payload.source_workflow_artifact_id, null);
  });

  it('is deterministic', async () => {
    const a = await run(journey, 'workflow_to_sop', params);
    const b = await run(journey, 'workflow_to_sop', params);
    assert.deepEqual(renderingSnapshot(a.result), renderingSnapshot(b.result));
    assert.deepEqual(a.result.artifacts[0]!.semanticPayload, b.result.artifacts[0]!.semanticPayload);
  });

  it('rejects bad parameters', () => {
    assert.equal(accepts(journey, 'workflow_to_sop', {}), false, 'missing workflow');
    assert.equal(accepts(journey, 'workflow_to_sop', { workflow: { steps: [] } }), false, 'no steps');
    assert.equal(accepts(journey, 'workflow_to_sop', { workflow: { steps: [''] } }), false, 'blank step');
    assert.equal(accepts(journey, 'workflow_to_sop', { workflow: { steps: [{ name: 'x' }] } }), false, 'step without action');
    assert.equal(accepts(journey, 'workflow_to_sop', { workflow: { steps: [3] } }), false, 'step not text');
    assert.equal(accepts(journey, 'workflow_to_sop', { workflow: { steps: ['a'] } }), true);
  });
});

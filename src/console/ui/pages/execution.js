// One execution: its journey (WAL records and the step journal), each
// artifact with its decision and every layer's verdict, its renderings, and
// its lineage (inputs → execution → outputs).
import { useEffect, useRef } from 'preact/hooks';
import { api, followEvents } from '../api.js';
import { ErrorBox, html, Status, Time, useLoad } from '../html.js';
import { Rendering, Mermaid } from '../render.js';

/** One line saying what a WAL record is about. */
function summary(r) {
  const p = r.payload ?? {};
  switch (r.recordType) {
    case 'intent': return `intent ${p.intentType ?? ''} accepted`;
    case 'state_transition': {
      const err = p.error ? ` — ${p.error.code ?? ''} ${p.error.message ?? ''}` : '';
      const attempt = p.attempt !== undefined && p.attempt !== null ? ` (attempt ${p.attempt})` : '';
      const reason = p.reason ? ` — ${p.reason}` : '';
      const wait = p.wait ? ` — waits for ${p.wait.kind ?? ''} ${p.wait.name ?? ''}`.trimEnd() : '';
      return `${p.from ?? '∅'} → ${p.to ?? '?'}${attempt}${reason}${wait}${err}`;
    }
    case 'governance_decision':
      if (p.kind === 'approval' || p.approval) return `approval ${p.approval}: ${p.decision} by ${p.by ?? 'timeout'}${p.reason ? ` (${p.reason})` : ''}`;
      return `${p.artifactKey ?? p.ruleId ?? 'decision'}: ${p.decision ?? ''} by ${p.layer ?? ''}${p.reason ? ` — ${p.reason}` : ''}`;
    case 'legal_hold': return `legal hold ${p.action ?? ''} ${p.artifactId ?? ''} ${p.reason ?? ''}`;
    case 'artifact_deleted': return `artifact ${p.artifactId ?? ''} deleted (${p.reason ?? ''})`;
    default: return Object.keys(p).slice(0, 4).map((k) => `${k}: ${JSON.stringify(p[k])}`.slice(0, 60)).join(', ');
  }
}

function Timeline({ records }) {
  return html`<ol class="timeline">
    ${records.map((r) => html`<li class=${`rec rec-${r.recordType}`}>
      <span class="rec-type">${r.recordType.replace(/_/g, ' ')}</span>
      <span class="rec-what">${summary(r)}</span>
      <${Time} at=${r.recordedAt} />
    </li>`)}
  </ol>`;
}

function Steps({ steps }) {
  if (steps.length === 0) return html`<p class="muted">No durable steps or waits.</p>`;
  return html`<div class="table-wrap"><table>
    <caption>Step journal</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead>
    <tbody>${steps.map((s) => html`<tr>
      <td>${s.seq}</td><td>${s.kind}</td><td>${s.name}${s.occurrence > 1 ? ` (${s.occurrence})` : ''}</td>
      <td><span class=${`badge status-${s.status}`}>${s.status}</span></td>
      <td><code class="clip">${JSON.stringify(s.detail ?? s.result ?? null)}</code></td>
    </tr>`)}</tbody>
  </table></div>`;
}

function Verdicts({ chain }) {
  // Without a chain the note above says why (the policy is not stored, or the inputs were erased).
  if (!chain) return null;
  return html`<table class="verdicts">
    <caption>Every layer's verdict</caption>
    <thead><tr><th scope="col">Layer</th><th scope="col">Verdict</th><th scope="col">Said</th></tr></thead>
    <tbody>${chain.map((v) => html`<tr><td>${v.layer}</td><td>${v.decision ?? 'no say'}</td><td>${v.said}</td></tr>`)}</tbody>
  </table>`;
}

function Artifact({ session, explained, artifact }) {
  return html`<article class="card artifact" aria-labelledby=${`a-${explained.artifactKey}`}>
    <h3 id=${`a-${explained.artifactKey}`}>${explained.artifactKey} <span class="muted">(${explained.resultType})</span></h3>
    <p>Decision: <strong class=${`decision-${explained.recorded.decision}`}>${explained.recorded.decision}</strong>${' '}by
      the <strong>${explained.recorded.layer}</strong> layer — ${explained.recorded.reason}${' '}<span class="muted">(policy ${explained.recorded.policyVersion})</span></p>
    ${explained.note ? html`<p class="muted">${explained.note}</p>` : null}
    <${Verdicts} chain=${explained.chain} />
    ${artifact
      ? html`<p>Artifact <code>${artifact.artifactId}</code>${artifact.legalHold ? html` — <strong>held</strong>: ${artifact.legalHold.reason}` : null}</p>
        ${artifact.renderings.map((r) => html`<${Rendering} session=${session} artifact=${artifact} rendering=${r} />`)}`
      : null}
  </article>`;
}

/** The lineage as a Mermaid flowchart: input artifacts → the execution → its artifacts. */
function lineageDiagram(l) {
  const id = (s) => s.replace(/[^A-Za-z0-9_]/g, '_');
  const label = (s) => s.replace(/["<>]/g, '');
  const lines = ['flowchart LR', `  X["${label(l.execution.intentType)}<br/>${label(l.execution.executionId)}"]`];
  for (const a of l.inputs) lines.push(`  ${id(a.artifactId)}["${label(a.artifactKey)} (${label(a.resultType)})"] --> X`);
  for (const a of l.outputs) lines.push(`  X --> ${id(a.artifactId)}["${label(a.artifactKey)} (${label(a.resultType)})"]`);
  return lines.join('\n');
}

function Lineage({ lineage }) {
  const text = `${lineage.inputs.length} input artifact(s), ${lineage.outputs.length} produced`;
  return html`<figure class="lineage">
    <${Mermaid} source=${lineageDiagram(lineage)} label=${`Lineage of ${lineage.execution.executionId}: ${text}`} />
    <figcaption>${text}.
      ${lineage.inputs.length ? html` Inputs: ${lineage.inputs.map((a) => html`<code>${a.artifactId}</code> `)}` : null}</figcaption>
  </figure>`;
}

export function ExecutionPage({ session, id }) {
  const enc = encodeURIComponent(id);
  const data = useLoad(async () => {
    const [execution, journey, steps, explain, lineage] = await Promise.all([
      api(session, `/v1/executions/${enc}`),
      api(session, `/v1/executions/${enc}/journey`),
      api(session, `/v1/executions/${enc}/steps`),
      api(session, `/v1/executions/${enc}/explain`),
      api(session, `/v1/executions/${enc}/lineage`),
    ]);
    return { execution, journey, steps, explain, lineage };
  }, [session.key, session.tenantId, id]);
  // Live: this execution's events reload the page's data.
  const reload = useRef(data.reload);
  reload.current = data.reload;
  useEffect(() => followEvents(session, (e) => e.executionId === id && reload.current()), [session.key, session.tenantId, id]);
  if (data.error) return html`<h1 tabindex="-1">Execution ${id}</h1><${ErrorBox} error=${data.error} />`;
  if (!data.data) return html`<h1 tabindex="-1">Execution ${id}</h1><p role="status">Loading…</p>`;
  const { execution: e, journey, steps, explain, lineage } = data.data;
  const byKey = new Map(lineage.outputs.map((a) => [a.artifactKey, a]));
  return html`<p><a href="#/executions">← Executions</a></p>
    <h1 tabindex="-1">Execution <code>${e.executionId}</code></h1>
    <dl class="facts">
      <dt>Status</dt><dd><${Status} status=${e.status} /></dd>
      <dt>Intent type</dt><dd>${e.intentType}</dd>
      <dt>Session</dt><dd>${e.sessionId}</dd>
      <dt>Attempts</dt><dd>${e.attempts}</dd>
      <dt>Started</dt><dd><${Time} at=${e.startedAt} /></dd>
      <dt>Finished</dt><dd><${Time} at=${e.finishedAt} /></dd>
      ${e.error ? html`<dt>Error</dt><dd class="error"><code>${e.error.code}</code> ${e.error.message}</dd>` : null}
    </dl>
    <section aria-labelledby="h-journey"><h2 id="h-journey">Journey</h2>
      <${Timeline} records=${journey.records} />
      <${Steps} steps=${steps.items} />
      ${explain.approvals.length ? html`<ul class="approvals">${explain.approvals.map((a) =>
        html`<li>Approval <strong>${a.approval}</strong>: ${a.decision} by ${a.by ?? 'timeout'}${a.reason ? ` — ${a.reason}` : ''} <${Time} at=${a.at} /></li>`)}</ul>` : null}
    </section>
    <section aria-labelledby="h-explain"><h2 id="h-explain">Artifacts and decisions</h2>
      ${explain.artifacts.length === 0 ? html`<p class="muted">No artifacts were decided.</p>` : null}
      ${explain.artifacts.map((x) => html`<${Artifact} session=${session} explained=${x} artifact=${byKey.get(x.artifactKey)} />`)}
    </section>
    <section aria-labelledby="h-lineage"><h2 id="h-lineage">Lineage</h2><${Lineage} lineage=${lineage} /></section>`;
}

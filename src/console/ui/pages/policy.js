// Policy: the version in force and its rules; a candidate YAML's `diff` as a
// table and a chart of artifacts and bytes moving between persist, cache and
// discard, per tenant and type (the diff needs the admin key).
import { useState } from 'preact/hooks';
import { parse as parseYaml } from 'yaml';
import { api } from '../api.js';
import { bytes, ErrorBox, html, useLoad } from '../html.js';

function Rules({ policy }) {
  const solution = policy.layers.solution;
  return html`<dl class="facts">
      <dt>Version</dt><dd><code data-policy-version>${policy.version}</code></dd>
      <dt>Solution</dt><dd>${solution ? `${solution.name ?? '(unnamed)'} from ${solution.source}` : 'none'}</dd>
      <dt>Cache TTL</dt><dd>${policy.cacheTtlSeconds} s</dd>
      <dt>Platform persists</dt><dd>${policy.layers.platform.persists.join(', ')}</dd>
    </dl>
    <div class="table-wrap"><table>
      <caption>Rules in effect: what happens to each result type</caption>
      <thead><tr><th scope="col">Result type</th><th scope="col">Decision</th><th scope="col">Layer</th><th scope="col">Reason</th></tr></thead>
      <tbody>${policy.types.map((t) => html`<tr><td>${t.resultType}</td><td class=${`decision-${t.decision}`}>${t.decision}</td><td>${t.layer}</td>
        <td>${t.reason}${t.conditionalRules.length ? ` (may differ: ${t.conditionalRules.join(', ')})` : ''}</td></tr>`)}
        <tr><td><em>any other type</em></td><td>${policy.otherTypes.decision}</td><td>${policy.otherTypes.layer}</td><td></td></tr></tbody>
    </table></div>
    <h3>Governance rules</h3>
    ${policy.layers.governance.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${policy.layers.governance.map((g) => html`<li><code>${JSON.stringify(g)}</code></li>`)}</ul>`}`;
}

/** A candidate file's body for /v1/admin/policy/diff: a solution config (materialization_policy) or platform rules. */
function candidateOf(text) {
  let doc;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`The candidate is not valid YAML: ${err.message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('The candidate must be a YAML mapping (a solution config or platform policy)');
  return 'materialization_policy' in doc ? { solution: doc } : { platform: doc };
}

const DECISIONS = ['persist', 'cache', 'discard'];

/** Bars per move: artifacts (count) and bytes, each scaled to the largest move. */
function MoveChart({ moves }) {
  const maxCount = Math.max(1, ...moves.map((m) => m.count));
  const maxBytes = Math.max(1, ...moves.map((m) => m.bytes));
  const row = 44;
  const height = moves.length * row + 24;
  const label = moves.map((m) => `${m.tenantId} ${m.resultType}: ${m.count} from ${m.from} to ${m.to}, ${bytes(m.bytes)}`).join('; ');
  return html`<figure class="chart">
    <svg viewBox=${`0 0 640 ${height}`} role="img" aria-label=${`Moves: ${label}`} class="move-chart">
      <text x="0" y="14" class="legend">■ artifacts  ▪ bytes</text>
      ${moves.map((m, i) => {
        const y = 24 + i * row;
        return html`<g>
          <text x="0" y=${y + 14} class="axis">${`${m.tenantId} · ${m.resultType}`}</text>
          <text x="0" y=${y + 32} class=${`axis move-${m.to}`}>${`${m.from} → ${m.to}`}</text>
          <rect x="220" y=${y + 2} height="16" width=${Math.max(2, (m.count / maxCount) * 340)} class=${`bar-count to-${m.to}`} />
          <text x=${226 + (m.count / maxCount) * 340} y=${y + 15} class="value">${m.count}</text>
          <rect x="220" y=${y + 22} height="10" width=${Math.max(2, (m.bytes / maxBytes) * 340)} class="bar-bytes" />
          <text x=${226 + (m.bytes / maxBytes) * 340} y=${y + 32} class="value">${bytes(m.bytes)}</text>
        </g>`;
      })}
    </svg>
    <figcaption>Artifacts (wide bars) and bytes (thin bars) that would move, per tenant and result type.</figcaption>
  </figure>`;
}

function Diff({ diff }) {
  const totals = Object.fromEntries(DECISIONS.map((d) => [d, { in: 0, out: 0 }]));
  for (const m of diff.moves) {
    totals[m.from].out += m.count;
    totals[m.to].in += m.count;
  }
  return html`<section aria-labelledby="h-diff" class="diff"><h2 id="h-diff">Diff against candidate <code>${diff.candidateVersion}</code></h2>
    <p role="status">${diff.scanned} decisions re-evaluated: ${diff.moves.reduce((n, m) => n + m.count, 0)} would move, ${diff.unchanged} unchanged, ${diff.skipped} skipped.
      ${DECISIONS.map((d) => ` ${d}: +${totals[d].in} / −${totals[d].out}.`)}</p>
    ${diff.moves.length === 0 ? html`<p>Nothing would move.</p>` : html`
      <div class="table-wrap"><table class="moves">
        <caption>Moves per tenant and result type</caption>
        <thead><tr><th scope="col">Tenant</th><th scope="col">Result type</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Artifacts</th><th scope="col">Bytes</th><th scope="col">Example</th></tr></thead>
        <tbody>${diff.moves.map((m) => html`<tr>
          <td>${m.tenantId}</td><td>${m.resultType}</td><td>${m.from}</td><td>${m.to}</td><td>${m.count}</td><td>${bytes(m.bytes)}</td>
          <td>${m.examples[0] ? html`${m.examples[0].artifactKey}: ${m.examples[0].nowReason}` : '—'}</td></tr>`)}</tbody>
      </table></div>
      <${MoveChart} moves=${diff.moves} />`}
  </section>`;
}

export function PolicyPage({ session }) {
  const policy = useLoad(() => api(session, '/v1/policy'), [session.key, session.tenantId]);
  const [text, setText] = useState('');
  const [diff, setDiff] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const onFile = async (e) => {
    const file = e.target.files?.[0];
    if (file) setText(await file.text());
  };
  const run = async (e) => {
    e.preventDefault();
    setError(null);
    setDiff(null);
    setBusy(true);
    try {
      setDiff(await api(session, '/v1/admin/policy/diff', { method: 'POST', json: { ...candidateOf(text), tenantId: session.tenantId } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<h1 tabindex="-1">Policy</h1>
    <section aria-labelledby="h-active"><h2 id="h-active">In force${session.tenantId ? ` for ${session.tenantId}` : ''}</h2>
      <${ErrorBox} error=${policy.error} />
      ${policy.data ? html`<${Rules} policy=${policy.data} />` : null}
    </section>
    <section aria-labelledby="h-candidate"><h2 id="h-candidate">Candidate</h2>
      ${session.admin ? null : html`<p class="muted">Diffing a candidate needs the admin key.</p>`}
      <form class="grid-form" onSubmit=${run}>
        <label class="wide">Candidate policy file (YAML) <input type="file" name="candidate-file" accept=".yaml,.yml,text/yaml" onChange=${onFile} /></label>
        <label class="wide">Candidate YAML <textarea name="candidate" rows="8" value=${text} onInput=${(e) => setText(e.target.value)}></textarea></label>
        <div><button type="submit" disabled=${busy || !session.admin || !text.trim()}>Diff</button></div>
      </form>
      <${ErrorBox} error=${error} />
    </section>
    ${diff ? html`<${Diff} diff=${diff} />` : null}`;
}

// Governance: legal holds (place, release), retention due soon, the WAL's
// integrity, and dead executions with retry.
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { bytes, ErrorBox, html, Status, Time, useLoad } from '../html.js';

function Holds({ session }) {
  const [artifactId, setArtifactId] = useState('');
  const [reason, setReason] = useState('');
  const [msg, setMsg] = useState(null);
  const [error, setError] = useState(null);
  const artifacts = useLoad(() => api(session, '/v1/artifacts?limit=20'), [session.key, session.tenantId]);
  const act = async (method, id, body) => {
    setError(null);
    try {
      const a = await api(session, `/v1/artifacts/${encodeURIComponent(id)}/hold`, { method, ...(body ? { json: body } : {}) });
      setMsg(a.legalHold ? `Held ${a.artifactId}: ${a.legalHold.reason}` : `Released ${a.artifactId}`);
      artifacts.reload();
    } catch (err) {
      setError(err);
    }
  };
  const place = (e) => {
    e.preventDefault();
    act('POST', artifactId.trim(), { reason });
  };
  return html`<section aria-labelledby="h-holds"><h2 id="h-holds">Legal holds</h2>
    <form class="grid-form" onSubmit=${place}>
      <label>Artifact id <input name="artifactId" required value=${artifactId} onInput=${(e) => setArtifactId(e.target.value)} /></label>
      <label>Reason <input name="reason" required value=${reason} onInput=${(e) => setReason(e.target.value)} /></label>
      <div><button type="submit">Place hold</button></div>
    </form>
    <p role="status">${msg ?? ''}</p><${ErrorBox} error=${error ?? artifacts.error} />
    <div class="table-wrap"><table>
      <caption>Recent artifacts</caption>
      <thead><tr><th scope="col">Artifact</th><th scope="col">Type</th><th scope="col">Retained until</th><th scope="col">Hold</th><th scope="col">Action</th></tr></thead>
      <tbody>${(artifacts.data?.items ?? []).map((a) => html`<tr data-artifact=${a.artifactId}>
        <td><code>${a.artifactId}</code></td><td>${a.resultType}</td><td><${Time} at=${a.retainUntil} /></td>
        <td>${a.legalHold ? a.legalHold.reason : '—'}</td>
        <td>${a.deleted ? 'deleted' : a.legalHold
          ? html`<button type="button" onClick=${() => act('DELETE', a.artifactId)} aria-label=${`Release hold on ${a.artifactId}`}>Release</button>`
          : html`<button type="button" onClick=${() => setArtifactId(a.artifactId)} aria-label=${`Pick ${a.artifactId} to hold`}>Pick</button>`}</td>
      </tr>`)}</tbody>
    </table></div>
  </section>`;
}

function RetentionDue({ session }) {
  const [within, setWithin] = useState('7d');
  const [applied, setApplied] = useState('7d');
  const due = useLoad(() => api(session, `/v1/retention/due${query({ within: applied })}`), [session.key, session.tenantId, applied]);
  return html`<section aria-labelledby="h-due"><h2 id="h-due">Retention due soon</h2>
    <form class="inline" onSubmit=${(e) => { e.preventDefault(); setApplied(within); }}>
      <label>Within <input name="within" size="6" value=${within} onInput=${(e) => setWithin(e.target.value)} /></label>
      <button type="submit">Show</button>
    </form>
    <${ErrorBox} error=${due.error} />
    ${(due.data?.items ?? []).length === 0 ? html`<p>Nothing's retention ends within ${applied}.</p>` : html`<ul>
      ${due.data.items.map((a) => html`<li><code>${a.artifactId}</code> ${a.resultType}, ${bytes(a.sizeBytes)}: ends <${Time} at=${a.retainUntil} />${a.legalHold ? ' (held)' : ''}</li>`)}</ul>`}
  </section>`;
}

function WalVerify({ session }) {
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  const verify = async () => {
    setError(null);
    try {
      setReport(await api(session, '/v1/wal/verify'));
    } catch (err) {
      setError(err);
    }
  };
  return html`<section aria-labelledby="h-wal"><h2 id="h-wal">Write-ahead log</h2>
    <button type="button" onClick=${verify}>Verify the WAL</button>
    <${ErrorBox} error=${error} />
    <div role="status">${report ? html`<ul>${report.chains.map((c) => html`<li>${c.tenantId}: <strong>${c.ok ? 'OK' : 'BROKEN'}</strong>, ${c.records} records${c.problem ? ` — ${c.problem.kind} at ${c.problem.seq}: ${c.problem.message}` : ''}</li>`)}</ul>` : null}</div>
  </section>`;
}

function Dead({ session }) {
  const dead = useLoad(() => api(session, '/v1/executions?status=dead&limit=50'), [session.key, session.tenantId]);
  const [error, setError] = useState(null);
  const retry = (id) => async () => {
    setError(null);
    try {
      await api(session, `/v1/executions/${encodeURIComponent(id)}/retry`, { method: 'POST' });
      dead.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = dead.data?.items ?? [];
  return html`<section aria-labelledby="h-dead"><h2 id="h-dead">Dead executions</h2>
    <${ErrorBox} error=${error ?? dead.error} />
    ${items.length === 0 ? html`<p>No dead executions.</p>` : html`<ul>${items.map((e) => html`<li>
      <a href=${`#/executions/${encodeURIComponent(e.executionId)}`}>${e.executionId}</a> ${e.intentType} <${Status} status=${e.status} />
      ${e.error ? html` <code>${e.error.code}</code>` : null}
      <button type="button" onClick=${retry(e.executionId)} aria-label=${`Retry ${e.executionId}`}>Retry</button></li>`)}</ul>`}
  </section>`;
}

export function GovernancePage({ session }) {
  return html`<h1 tabindex="-1">Governance</h1>
    <${Holds} session=${session} />
    <${RetentionDue} session=${session} />
    <${WalVerify} session=${session} />
    <${Dead} session=${session} />`;
}

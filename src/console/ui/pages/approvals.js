// The approvals inbox: what the tenant's executions wait for; approve or reject with a reason.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, html, Time, useLoad } from '../html.js';

function Decide({ session, item, onDone }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const id = `reason-${item.executionId}-${item.name}`;
  const decide = (decision) => async () => {
    setError(null);
    try {
      await api(session, `/v1/executions/${encodeURIComponent(item.executionId)}/approvals/${encodeURIComponent(item.name)}`, {
        method: 'POST', json: { decision, ...(reason.trim() ? { reason: reason.trim() } : {}) },
      });
      onDone(`${decision === 'approve' ? 'Approved' : 'Rejected'} ${item.name} of ${item.executionId}`);
    } catch (err) {
      setError(err);
    }
  };
  return html`<li class="card approval" data-approval=${item.name}>
    <h2><a href=${`#/executions/${encodeURIComponent(item.executionId)}`}>${item.executionId}</a> — ${item.name}</h2>
    <p>${item.summary ?? 'No summary.'}</p>
    <p class="muted">${item.intentType}; waiting since <${Time} at=${item.waitingSince} />${item.timesOutAt ? html`; on timeout (<${Time} at=${item.timesOutAt} />) ${item.onTimeout}` : null}</p>
    <label for=${id}>Reason</label>
    <input id=${id} value=${reason} onInput=${(e) => setReason(e.target.value)} />
    <div class="actions">
      <button type="button" onClick=${decide('approve')}>Approve</button>
      <button type="button" class="danger" onClick=${decide('reject')}>Reject</button>
    </div>
    <${ErrorBox} error=${error} />
  </li>`;
}

export function ApprovalsPage({ session }) {
  const [done, setDone] = useState(null);
  const inbox = useLoad(() => api(session, '/v1/approvals'), [session.key, session.tenantId]);
  const items = inbox.data?.items ?? [];
  return html`<h1 tabindex="-1">Approvals</h1>
    <p role="status">${done ?? ''}</p>
    <${ErrorBox} error=${inbox.error} />
    ${items.length === 0 && !inbox.loading ? html`<p>No execution waits for an approval.</p>` : null}
    <ul class="cards">${items.map((item) => html`<${Decide} key=${`${item.executionId}/${item.name}`} session=${session} item=${item}
      onDone=${(m) => { setDone(m); inbox.reload(); }} />`)}</ul>`;
}

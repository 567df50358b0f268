// The operator console: sign in, then pages routed by the URL hash
// (#/executions, #/executions/<id>, #/approvals, #/policy, #/governance).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, loadSession, saveSession } from './api.js';
import { ErrorBox, html } from './html.js';
import { ExecutionsPage } from './pages/executions.js';
import { ExecutionPage } from './pages/execution.js';
import { ApprovalsPage } from './pages/approvals.js';
import { PolicyPage } from './pages/policy.js';
import { GovernancePage } from './pages/governance.js';

const PAGES = [
  ['executions', 'Executions'],
  ['approvals', 'Approvals'],
  ['policy', 'Policy'],
  ['governance', 'Governance'],
];

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
}

/** Which key is it: the admin key lists tenants; a tenant key is refused there (403) but reads its tenant's policy. */
async function identify(key) {
  const probe = { key, admin: false, tenantId: null };
  try {
    const tenants = await api(probe, '/v1/admin/tenants');
    return { key, admin: true, tenantId: tenants.items[0]?.tenantId ?? null };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 403) throw err;
  }
  const policy = await api(probe, '/v1/policy'); // names the key's tenant
  return { key, admin: false, tenantId: policy.tenantId };
}

function SignIn({ onSession }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSession(await identify(key.trim()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="signin">
    <h1>SymphAIny console</h1>
    <form onSubmit=${submit} aria-describedby="signin-help">
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" required value=${key} onInput=${(e) => setKey(e.target.value)} />
      <p id="signin-help" class="muted">A tenant key shows that tenant's data only. The admin key shows every tenant, one at a time.</p>
      <button type="submit" disabled=${busy}>Sign in</button>
      <${ErrorBox} error=${error} />
    </form>
  </main>`;
}

function TenantPicker({ session, onSession }) {
  const [tenants, setTenants] = useState([]);
  useEffect(() => {
    api(session, '/v1/admin/tenants').then((t) => setTenants(t.items.map((x) => x.tenantId)), () => setTenants([]));
  }, [session.key]);
  return html`<label class="picker">Tenant
    <select value=${session.tenantId ?? ''} onChange=${(e) => onSession({ ...session, tenantId: e.target.value || null })}>
      ${session.tenantId ? null : html`<option value="">(none)</option>`}
      ${tenants.map((t) => html`<option value=${t}>${t}</option>`)}
    </select>
  </label>`;
}

function Shell({ session, onSession }) {
  const [page, ...rest] = useHash();
  const main = useRef(null);
  const current = PAGES.some(([p]) => p === page) ? page : 'executions';
  useEffect(() => {
    // A new page: move focus to its heading, so keyboard and screen reader users land on it.
    main.current?.querySelector('h1')?.focus();
  }, [page, rest[0]]);
  let body;
  if (session.admin && !session.tenantId) body = html`<h1 tabindex="-1">No tenant</h1><p>Create a tenant first (<code>symphainy tenants create NAME</code>).</p>`;
  else if (current === 'executions' && rest[0]) body = html`<${ExecutionPage} session=${session} id=${rest[0]} />`;
  else if (current === 'executions') body = html`<${ExecutionsPage} session=${session} />`;
  else if (current === 'approvals') body = html`<${ApprovalsPage} session=${session} />`;
  else if (current === 'policy') body = html`<${PolicyPage} session=${session} />`;
  else body = html`<${GovernancePage} session=${session} />`;
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); main.current?.focus(); }}>Skip to content</a>
    <header class="top">
      <span class="brand">SymphAIny</span>
      <nav aria-label="Console pages">
        <ul>${PAGES.map(([p, label]) => html`<li><a href=${`#/${p}`} aria-current=${p === current ? 'page' : undefined}>${label}</a></li>`)}</ul>
      </nav>
      <div class="who">
        ${session.admin ? html`<${TenantPicker} session=${session} onSession=${onSession} />` : html`<span>Tenant <strong>${session.tenantId}</strong></span>`}
        <span class="role">${session.admin ? 'admin key' : 'tenant key'}</span>
        <button type="button" class="link" onClick=${() => onSession(null)}>Sign out</button>
      </div>
    </header>
    <main id="main" ref=${main} tabindex="-1" key=${`${session.tenantId}`}>${body}</main>`;
}

function App() {
  const [session, setSession] = useState(loadSession);
  const onSession = (s) => {
    saveSession(s);
    setSession(s);
  };
  return session ? html`<${Shell} session=${session} onSession=${onSession} />` : html`<${SignIn} onSession=${onSession} />`;
}

const root = document.getElementById('app');
root.textContent = ''; // the loading note
render(html`<${App} />`, root);

// Executions: filters (status, intent type, session, time range), pages,
// live updates from /v1/events, and a form to run an intent.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, followEvents, query } from '../api.js';
import { ErrorBox, html, Status, Time, useLoad } from '../html.js';

const STATUSES = ['queued', 'running', 'waiting', 'completed', 'failed', 'dead'];
const PAGE = 20;

/** A datetime-local value (the operator's zone) as an ISO instant, or undefined. */
const instant = (local) => (local ? new Date(local).toISOString() : undefined);

function RunIntent({ session, onRun }) {
  const [intentType, setIntentType] = useState('journey.sop_to_workflow');
  const [sessionId, setSessionId] = useState('console');
  const [params, setParams] = useState('{\n  "sop_text": "1. Receive the order\\n2. Pack it\\n3. Ship it"\n}');
  const [error, setError] = useState(null);
  const [last, setLast] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      let parameters;
      try {
        parameters = JSON.parse(params || '{}');
      } catch (err) {
        throw new Error(`Parameters are not JSON: ${err.message}`);
      }
      const r = await api(session, '/v1/intents?mode=async', { method: 'POST', json: { intentType, sessionId, parameters } });
      setLast(r.executionId);
      onRun();
    } catch (err) {
      setError(err);
    }
  };
  return html`<details class="card">
    <summary>Run an intent</summary>
    <form onSubmit=${submit} class="grid-form">
      <label>Intent type <input name="intentType" required value=${intentType} onInput=${(e) => setIntentType(e.target.value)} /></label>
      <label>Session <input name="sessionId" required value=${sessionId} onInput=${(e) => setSessionId(e.target.value)} /></label>
      <label class="wide">Parameters (JSON) <textarea name="parameters" rows="4" value=${params} onInput=${(e) => setParams(e.target.value)}></textarea></label>
      <div class="wide"><button type="submit">Run</button>
        ${last ? html` <span role="status">Queued <a href=${`#/executions/${encodeURIComponent(last)}`}>${last}</a></span>` : null}</div>
      <${ErrorBox} error=${error} />
    </form>
  </details>`;
}

export function ExecutionsPage({ session }) {
  const [filters, setFilters] = useState({ status: '', intentType: '', sessionId: '', since: '', until: '' });
  const [applied, setApplied] = useState(filters);
  const [cursors, setCursors] = useState([null]); // cursors of the pages seen, for Previous
  const [tick, setTick] = useState(0);
  const [live, setLive] = useState('connecting');
  const cursor = cursors[cursors.length - 1];
  const list = useLoad(
    () =>
      api(session, `/v1/executions${query({
        status: applied.status, intentType: applied.intentType, sessionId: applied.sessionId,
        since: instant(applied.since), until: instant(applied.until), limit: PAGE, cursor,
      })}`),
    [session.key, session.tenantId, applied, cursor, tick],
  );
  // Live: any event of an execution refreshes the page shown (coalesced, at most every 300 ms).
  const pending = useRef(null);
  useEffect(() => {
    const stop = followEvents(session, (event) => {
      if (!event.executionId || pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        setTick((t) => t + 1);
      }, 300);
    }, setLive);
    return () => {
      stop();
      clearTimeout(pending.current);
      pending.current = null;
    };
  }, [session.key, session.tenantId]);
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.target.value });
  const apply = (e) => {
    e.preventDefault();
    setCursors([null]);
    setApplied(filters);
  };
  const items = list.data?.items ?? [];
  return html`<h1 tabindex="-1">Executions</h1>
    <p class="live" role="status">Updates: <strong>${live}</strong></p>
    <${RunIntent} session=${session} onRun=${() => setTick((t) => t + 1)} />
    <form class="filters" onSubmit=${apply} aria-label="Filter executions">
      <label>Status
        <select name="status" value=${filters.status} onChange=${set('status')}>
          <option value="">any</option>
          ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      <label>Intent type <input name="intentType" value=${filters.intentType} onInput=${set('intentType')} /></label>
      <label>Session <input name="sessionId" value=${filters.sessionId} onInput=${set('sessionId')} /></label>
      <label>From <input type="datetime-local" name="since" value=${filters.since} onInput=${set('since')} /></label>
      <label>Until <input type="datetime-local" name="until" value=${filters.until} onInput=${set('until')} /></label>
      <button type="submit">Apply filters</button>
    </form>
    <${ErrorBox} error=${list.error} />
    <div class="table-wrap">
      <table class="executions">
        <caption>Executions, newest first${list.loading ? ' (loading)' : ''}</caption>
        <thead><tr><th scope="col">Execution</th><th scope="col">Intent type</th><th scope="col">Status</th><th scope="col">Session</th><th scope="col">Accepted</th><th scope="col">Attempts</th></tr></thead>
        <tbody>
          ${items.length === 0 && !list.loading ? html`<tr><td colspan="6">No executions match.</td></tr>` : null}
          ${items.map((e) => html`<tr data-execution=${e.executionId}>
            <td><a href=${`#/executions/${encodeURIComponent(e.executionId)}`}>${e.executionId}</a></td>
            <td>${e.intentType}</td>
            <td><${Status} status=${e.status} /></td>
            <td>${e.sessionId}</td>
            <td><${Time} at=${e.submittedAt ?? e.startedAt ?? e.intentCreatedAt} /></td>
            <td>${e.attempts}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
      <button type="button" disabled=${!list.data?.nextCursor} onClick=${() => setCursors([...cursors, list.data.nextCursor])}>Next page</button>
    </nav>`;
}

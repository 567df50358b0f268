// The console's only way to the runtime: the public HTTP API, with the key
// the operator signed in with. The admin key acts for the tenant picked in
// the header (Symphainy-Tenant); a tenant key is always its own tenant.

const SESSION_KEY = 'symphainy.console';

/** The signed-in session: { key, admin, tenantId } (sessionStorage: gone when the tab closes). */
export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return s && typeof s.key === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s) {
  if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** An API error: the problem document's detail, its code and status. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? null;
    this.errors = body?.errors ?? [];
  }
}

function headers(session, extra = {}) {
  const h = { authorization: `Bearer ${session.key}`, ...extra };
  if (session.admin && session.tenantId) h['symphainy-tenant'] = session.tenantId;
  return h;
}

/** fetch with the session's credentials; JSON in and out; a problem document becomes an ApiError. */
export async function api(session, path, { method = 'GET', json, raw = false, signal } = {}) {
  const res = await fetch(path, {
    method,
    signal,
    headers: headers(session, json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  if (!res.ok) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      /* not a problem document */
    }
    throw new ApiError(res.status, body);
  }
  if (raw) return res;
  return res.json();
}

/** A query string of the defined, non-empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Follows `/v1/events` (Server-Sent Events) with fetch, which can send the
 * Authorization header that EventSource cannot. Calls `onEvent(event)` per
 * frame; reconnects with Last-Event-ID after a drop. Returns a stop function.
 */
export function followEvents(session, onEvent, onState = () => {}) {
  const abort = new AbortController();
  let lastId = null;
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        const res = await fetch('/v1/events', {
          signal: abort.signal,
          headers: headers(session, lastId ? { 'last-event-id': lastId } : {}),
        });
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        onState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            const id = frame.split('\n').find((l) => l.startsWith('id: '));
            if (id) lastId = id.slice(4);
            if (data) onEvent(JSON.parse(data));
          }
        }
      } catch {
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return () => {
    stopped = true;
    abort.abort();
  };
}

// Shared view helpers: htm bound to Preact, and small pieces every page uses.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/** A time as the operator's locale shows it, with the ISO value for machines. */
export const Time = ({ at }) => (at ? html`<time datetime=${at}>${new Date(at).toLocaleString()}</time>` : html`<span class="muted">—</span>`);

/** An execution status, readable without colour (the word is the badge). */
export const Status = ({ status }) => html`<span class=${`badge status-${status}`}>${status}</span>`;

/** An error, announced to screen readers. */
export const ErrorBox = ({ error }) =>
  error ? html`<p class="error" role="alert">${error.message}${error.code ? html` <code>${error.code}</code>` : null}</p>` : null;

export const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

/** Runs an async loader into [data, error, loading]; `reload` runs it again. */
import { useCallback, useEffect, useState } from 'preact/hooks';
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const run = useCallback(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

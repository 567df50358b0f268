// Draws Mermaid diagrams for the console, inside a same-origin frame
// (diagram.html) whose CSP allows the inline styles Mermaid's layout sets, so
// the console's own document keeps `style-src 'self'`. Listens for
// { id, source } from the console and answers { id, svg } or { id, error }.
import mermaid from 'mermaid';

mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', htmlLabels: false, flowchart: { htmlLabels: false }, theme: 'neutral' });

let n = 0;
addEventListener('message', async (event) => {
  if (event.origin !== location.origin || event.source !== parent) return;
  const { id, source } = event.data ?? {};
  if (typeof id !== 'number' || typeof source !== 'string') return;
  try {
    const { svg } = await mermaid.render(`d${++n}`, source);
    parent.postMessage({ id, svg }, location.origin);
  } catch (err) {
    parent.postMessage({ id, error: String(err?.message ?? err) }, location.origin);
  }
});
parent.postMessage({ ready: true }, location.origin);

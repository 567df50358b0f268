// Renderings shown as what they are: SVG and other images as images,
// Mermaid drawn as a diagram, Markdown rendered (marked) and sanitized
// (DOMPurify), JSON pretty-printed, text as text, anything else a download.
// Bytes are fetched with the session's key and shown through blob: URLs, so
// realm-produced SVG never runs in the console's document.
import { useEffect, useState } from 'preact/hooks';
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { api } from './api.js';
import { bytes, ErrorBox, html } from './html.js';

const kindOf = (type, name) => {
  const t = type.split(';')[0].trim().toLowerCase();
  if (t === 'text/vnd.mermaid' || t === 'text/x-mermaid' || /\.mmd$/.test(name)) return 'mermaid';
  if (t.startsWith('image/')) return 'image';
  if (t === 'text/markdown' || t === 'text/x-markdown' || /\.md$/.test(name)) return 'markdown';
  if (t === 'application/json' || t.endsWith('+json')) return 'json';
  if (t.startsWith('text/')) return 'text';
  return 'bytes';
};

let frame = null;
let ready = null;
let nextId = 0;
const waiting = new Map();
/**
 * Draws Mermaid source to SVG text in the diagram frame (diagram.html, one
 * for the page, made on first use): Mermaid's layout sets inline styles,
 * which the console's own CSP refuses.
 */
function drawDiagram(source) {
  if (!frame) {
    frame = document.createElement('iframe');
    frame.src = '/console/diagram.html';
    frame.title = 'Diagram renderer (hidden)';
    frame.className = 'diagram-frame';
    frame.setAttribute('aria-hidden', 'true');
    frame.tabIndex = -1;
    ready = new Promise((resolve) => {
      addEventListener('message', (event) => {
        if (event.origin !== location.origin || event.source !== frame.contentWindow) return;
        const m = event.data ?? {};
        if (m.ready) return resolve();
        const w = waiting.get(m.id);
        if (!w) return;
        waiting.delete(m.id);
        if (typeof m.svg === 'string') w.resolve(m.svg);
        else w.reject(new Error(m.error ?? 'unknown error'));
      });
    });
    document.body.append(frame);
  }
  return ready.then(() => new Promise((resolve, reject) => {
    const id = ++nextId;
    waiting.set(id, { resolve, reject });
    frame.contentWindow.postMessage({ id, source }, location.origin);
  }));
}

/** A Mermaid diagram, drawn to SVG and shown as an image (`label` is its text alternative). */
export function Mermaid({ source, label }) {
  const [url, setUrl] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let made = null;
    let live = true;
    drawDiagram(source)
      .then((svg) => {
        made = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
        if (live) setUrl(made);
      })
      .catch((err) => live && setError(new Error(`The diagram could not be drawn: ${err.message ?? err}`)));
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [source]);
  if (error) return html`<${ErrorBox} error=${error} /><pre class="source" tabindex="0" aria-label="Diagram source">${source}</pre>`;
  return url ? html`<img class="diagram" src=${url} alt=${label} />` : html`<p role="status" class="muted">Drawing the diagram…</p>`;
}

/** One rendering of an artifact. */
export function Rendering({ session, artifact, rendering }) {
  const kind = kindOf(rendering.contentType, rendering.name);
  const [content, setContent] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    let url = null;
    api(session, rendering.href, { raw: true })
      .then(async (res) => {
        if (kind === 'image' || kind === 'bytes') {
          url = URL.createObjectURL(await res.blob());
          return url;
        }
        return res.text();
      })
      .then((c) => live && setContent(c), (err) => live && setError(err));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [rendering.href, session.key, session.tenantId]);
  const title = html`<h4>${rendering.name} <span class="muted">${rendering.contentType}, ${bytes(rendering.sizeBytes)}</span></h4>`;
  let body;
  if (error) body = html`<${ErrorBox} error=${error} />`;
  else if (content === null) body = html`<p class="muted" role="status">Loading…</p>`;
  else if (kind === 'image') body = html`<img class="rendering-image" src=${content} alt=${`${rendering.name} of ${artifact.artifactKey}`} />`;
  else if (kind === 'mermaid') body = html`<${Mermaid} source=${content} label=${`${rendering.name} of ${artifact.artifactKey} (Mermaid diagram)`} />`;
  else if (kind === 'markdown') body = html`<div class="markdown" dangerouslySetInnerHTML=${{ __html: DOMPurify.sanitize(marked.parse(content)) }}></div>`;
  else if (kind === 'json') body = html`<pre class="json" tabindex="0" aria-label=${`${rendering.name} (JSON)`}>${pretty(content)}</pre>`;
  else if (kind === 'text') body = html`<pre class="text" tabindex="0" aria-label=${rendering.name}>${content}</pre>`;
  else body = html`<a class="button" href=${content} download=${`${artifact.artifactKey}-${rendering.name}`}>Download ${rendering.name}</a>`;
  return html`<section class=${`rendering rendering-${kind}`} data-rendering=${rendering.name}>${title}${body}</section>`;
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Renders an ordered list of steps as a vertical flowchart: Mermaid source and a standalone SVG. */

export interface FlowStep {
  id: string;
  order: number;
  action: string;
}

/** Escapes text for XML character data and attribute values. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Escapes a label for a quoted Mermaid node (`id["label"]`) with Mermaid entity codes. */
export function escapeMermaid(s: string): string {
  return s
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/&/g, '#amp;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;');
}

/** `flowchart TD` with one node per step, linked in order. */
export function toMermaid(steps: readonly FlowStep[]): string {
  const out = ['flowchart TD'];
  for (const s of steps) out.push(`  ${s.id}["${escapeMermaid(`${s.order}. ${s.action}`)}"]`);
  for (let i = 1; i < steps.length; i++) out.push(`  ${steps[i - 1]!.id} --> ${steps[i]!.id}`);
  return out.join('\n') + '\n';
}

/** Greedy word wrap to at most `width` characters a line; longer words are split. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const flush = () => {
    if (line) lines.push(line);
    line = '';
  };
  for (let word of text.split(' ')) {
    while (word.length > width) {
      flush();
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (line && line.length + 1 + word.length > width) flush();
    line = line ? `${line} ${word}` : word;
  }
  flush();
  return lines;
}

// Layout, in pixels (integers only, so output is byte-stable).
const WIDTH = 520;
const BOX_X = 40;
const BOX_W = WIDTH - 2 * BOX_X;
const PAD = 12;
const LINE = 18;
const GAP = 36;
const CHARS_PER_LINE = 52;
const TITLE_LINE = 24;
const TITLE_CHARS = 40;

/** A standalone SVG document: the title, then one rounded box per step, joined by arrows. */
export function toSvg(title: string, steps: readonly FlowStep[]): string {
  const body: string[] = [];
  const titleLines = wrap(title, TITLE_CHARS);
  let y = 20;
  body.push(
    `<text x="${WIDTH / 2}" y="${y + 18}" text-anchor="middle" font-size="18" font-weight="bold">` +
      titleLines.map((l, i) => `<tspan x="${WIDTH / 2}" dy="${i === 0 ? 0 : TITLE_LINE}">${escapeXml(l)}</tspan>`).join('') +
      '</text>',
  );
  y += titleLines.length * TITLE_LINE + 16;

  steps.forEach((step, i) => {
    const lines = wrap(`${step.order}. ${step.action}`, CHARS_PER_LINE);
    const h = lines.length * LINE + 2 * PAD;
    if (i > 0) {
      body.push(
        `<line x1="${WIDTH / 2}" y1="${y - GAP}" x2="${WIDTH / 2}" y2="${y - 2}" stroke="#3b5b8c" stroke-width="2" marker-end="url(#arrow)"/>`,
      );
    }
    body.push(
      `<g id="${step.id}">` +
        `<rect x="${BOX_X}" y="${y}" width="${BOX_W}" height="${h}" rx="8" fill="#eef3fb" stroke="#3b5b8c" stroke-width="1.5"/>` +
        `<text x="${WIDTH / 2}" y="${y + PAD + 13}" text-anchor="middle" font-size="14">` +
        lines.map((l, j) => `<tspan x="${WIDTH / 2}" dy="${j === 0 ? 0 : LINE}">${escapeXml(l)}</tspan>`).join('') +
        '</text></g>',
    );
    y += h + GAP;
  });
  const height = y - GAP + 20;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="#3b5b8c"/></marker></defs>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

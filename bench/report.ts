/** The bench table: one row per measure, its value next to its baseline, the ratio and any target. */

export interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
  /** The numbers behind the cells. */
  raw?: { value: number; baseline: number; ratio: number };
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
export const ratioOf = (a: number, b: number) => a / b;
export const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r >= 10 ? fmt(r, 0) : r >= 1 ? fmt(r, 2) : fmt(r, 3)}×` : 'n/a');

export function row(measure: string, value: number, valueText: string, baseline: number, baselineText: string, target?: { text: string; met: boolean }): Row {
  const ratio = ratioOf(value, baseline);
  return {
    measure,
    value: valueText,
    baseline: baselineText,
    ratio: fmtRatio(ratio),
    target: target?.text ?? '—',
    met: target ? (target.met ? 'yes' : '**no**') : '—',
    raw: { value, baseline, ratio },
  };
}

/** An RSS delta per entry; at or below zero the process did not grow measurably (GC of warm-up garbage outweighed it). */
export const rssText = (bytes: number) => (bytes <= 0 ? `${fmt(bytes, 0)} (no measurable growth)` : fmt(bytes, 0));

export const note = (measure: string, text: string): Row => ({ measure, value: text, baseline: '—', ratio: '—', target: '—', met: '—' });

export function markdown(rows: readonly Row[]): string {
  const head = ['measure', 'value', 'baseline', 'ratio', 'target', 'met?'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${[r.measure, r.value, r.baseline, r.ratio, r.target, r.met].map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  return lines.join('\n');
}

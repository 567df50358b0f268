/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain-text table: columns padded to their widest cell, long cells cut at `maxWidth`. */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[], maxWidth = 60): string {
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function printTable(headers: readonly string[], rows: readonly (readonly unknown[])[], maxWidth?: number): void {
  process.stdout.write(`${rows.length ? formatTable(headers, rows, maxWidth) : '(none)'}\n`);
}

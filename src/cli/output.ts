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

/**
 * A closed stdout (`symphainy … | head -1`) is the reader saying it has
 * enough, not a failure: without a listener the EPIPE is an unhandled
 * 'error' event with a stack trace. From then on output is dropped, the
 * command finishes and closes what it opened, and the exit code is 0.
 * Any other stdout error is reported once on stderr with exit code 1.
 */
export function quietOnClosedStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  let closed = false;
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    stdout.write = (() => true) as typeof stdout.write;
    if (err.code !== 'EPIPE') {
      process.stderr.write(`error: cannot write the output: ${err.message}\n`);
      process.exitCode = 1;
    }
  });
}

/** One rendering as JSON: text for textual content types, else base64. `sizeBytes` counts the bytes. */
export function renderingJson(name: string, contentType: string, bytes: Uint8Array): {
  name: string; contentType: string; sizeBytes: number; text?: string; base64?: string;
} {
  const textual = /^(text\/|application\/json|image\/svg)/.test(contentType);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { name, contentType, sizeBytes: bytes.byteLength, ...(textual ? { text: buf.toString('utf8') } : { base64: buf.toString('base64') }) };
}

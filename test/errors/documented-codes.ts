/**
 * The error table of docs/errors.md, parsed (not a test file): one entry per
 * code with its class (null for a code only the HTTP server answers with),
 * its HTTP status, its CLI exit code (null where the CLI never prints it) and
 * how many rows name it.
 */
import { readFile } from 'node:fs/promises';

export interface DocumentedCode {
  readonly code: string;
  readonly className: string | null;
  readonly status: number;
  readonly exit: number | null;
  /** False when the row lacks the exit column. */
  readonly exitColumn: boolean;
  /** Rows naming this code (more than one is a fault: a code has one meaning and one status). */
  readonly rows: number;
}

/** `| \`CODE\` | \`Class\` or — | status | exit or — | when |` */
const ROW = /^\| `(SYM_ERR_[A-Z0-9_]+)` \| (?:`([A-Za-z]+)`|—) \| (\d{3}) \|(?: (\d|—) \|)? .+ \|$/;

export async function documentedCodes(): Promise<Map<string, DocumentedCode>> {
  const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const out = new Map<string, DocumentedCode>();
  for (const line of doc.split('\n')) {
    if (!line.startsWith('| `SYM_ERR_')) continue;
    const m = ROW.exec(line);
    if (!m) throw new Error(`docs/errors.md: a row not of the form | \`CODE\` | \`Class\` or — | status | exit or — | when |: ${line.slice(0, 120)}`);
    const [, code, className, status, exit] = m as unknown as [string, string, string | undefined, string, string | undefined];
    const prior = out.get(code);
    out.set(code, {
      code,
      className: prior?.className ?? className ?? null,
      status: prior?.status ?? Number(status),
      exit: prior ? prior.exit : exit === undefined || exit === '—' ? null : Number(exit),
      exitColumn: prior ? prior.exitColumn : exit !== undefined,
      rows: (prior?.rows ?? 0) + 1,
    });
  }
  return out;
}

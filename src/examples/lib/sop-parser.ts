import { cleanText } from './support.ts';

export interface ParsedSop {
  /** Text of the first `#` heading, if any. */
  heading: string | undefined;
  /** Step actions, in the order they appear. */
  steps: string[];
}

const NUMBERED = /^(?:\d+[.)]|step\s+\d+\s*[.):-]?)\s+(.*\S)/i;
const BULLET = /^[-*•]\s+(.*\S)/;

/**
 * Reads the steps of a standard operating procedure written as plain text.
 *
 * - `#` lines are headings, never steps; the first one is the heading.
 * - If any line is a list item (`1.`, `1)`, `Step 1:`, `-`, `*`), the list
 *   items are the steps; an indented plain line continues the step above it
 *   and other prose is ignored.
 * - Otherwise every non-empty line is a step.
 */
export function parseSop(source: string): ParsedSop {
  const lines = source.split(/\r\n|\r|\n/);
  let heading: string | undefined;
  const items: string[] = [];
  const prose: string[] = [];
  let listSeen = false;

  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const h = cleanText(line.replace(/^#+/, ''));
      if (heading === undefined && h !== '') heading = h;
      continue;
    }
    const item = NUMBERED.exec(line) ?? BULLET.exec(line);
    if (item) {
      listSeen = true;
      items.push(cleanText(item[1] ?? ''));
      continue;
    }
    prose.push(cleanText(line));
    // An indented plain line after a list item continues that item.
    if (listSeen && /^\s/.test(raw)) items[items.length - 1] += ' ' + cleanText(line);
  }
  const steps = (listSeen ? items : prose).filter((s) => s !== '');
  return { heading, steps };
}

/** Small helpers shared by the example realms. Deterministic: no clock, no randomness. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { rendering, type Rendering } from '../../realm/rendering.ts';

/** `prefix` + the first 12 hex digits of the SHA-256 of `value`'s JSON: equal inputs, equal ids. */
export function contentId(prefix: string, value: unknown): string {
  return prefix + createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

/** Collapses runs of whitespace and drops control characters (they are not valid in XML). */
export function cleanText(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** A non-blank line of text, whitespace-normalized. */
export const text = (max = 500) =>
  z
    .string()
    .max(max)
    .transform(cleanText)
    .refine((s) => s.length > 0, { message: 'must not be blank' });

/** A Markdown rendering. */
export function markdown(source: string): Rendering {
  return rendering(source, 'text/markdown; charset=utf-8');
}

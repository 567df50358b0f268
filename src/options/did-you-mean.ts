/**
 * The known name closest to a mistyped one (edit distance at most a third of
 * its length, and at least 1), or undefined when none is close: `databse_url`
 * → `database_url`, `poolsize` → `poolSize`.
 */
export function closestName(given: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(given.length / 3));
  for (const name of known) {
    const d = editDistance(given.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `unknown key, did you mean 'x'?` or `unknown key` alone; `what` names the kind (key, option, variable). */
export function unknownName(what: string, given: string, known: Iterable<string>): string {
  const near = closestName(given, known);
  return near === undefined ? `unknown ${what}` : `unknown ${what}, did you mean ${near}?`;
}

/** Levenshtein distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

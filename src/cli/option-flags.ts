import { RETRY_FLAGS } from '../options/compile-runtime-options.ts';
import { OPTION_SPECS } from '../options/runtime-option-specs.ts';

/**
 * The flags that set runtime options, by flag name, from commander's parsed
 * options (`dataDir` → `--data-dir`): they go through the runtime's one
 * compile step, whose errors name them as flags.
 */
export function optionFlags(opts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of RUNTIME_FLAGS) {
    const value = opts[camelCase(name)];
    if (value !== undefined) flags[name] = value;
  }
  return flags;
}

/** Every flag that sets a runtime option (global ones, `serve`'s and `worker`'s). */
const RUNTIME_FLAGS: readonly string[] = [
  ...new Set([...OPTION_SPECS.flatMap((s) => s.flags ?? []), ...Object.keys(RETRY_FLAGS)]),
];

const camelCase = (flag: string) => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

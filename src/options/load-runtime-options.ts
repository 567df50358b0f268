import { ConfigError } from '../errors/index.ts';
import { compileRuntimeOptions, type CompiledRuntimeOptions, type RuntimeOptionsInput } from './compile-runtime-options.ts';
import { readRuntimeConfigText, type RuntimeConfigFile } from './runtime-config-file.ts';

/**
 * {@link compileRuntimeOptions} with the runtime config file read first: the
 * file named by `--runtime-config`, the `runtimeConfig` option or
 * `$SYMPHAINY_RUNTIME_CONFIG` (in that order), or a loaded one given as the
 * option. A file that cannot be read is one more problem in the same error.
 * Reads one file and opens nothing else.
 */
export async function loadRuntimeOptions(input: Omit<RuntimeOptionsInput, 'file'>): Promise<CompiledRuntimeOptions> {
  const option = (input.options as { runtimeConfig?: unknown } | undefined)?.runtimeConfig;
  const flag = input.flags?.['--runtime-config'];
  const fromEnv = input.env?.SYMPHAINY_RUNTIME_CONFIG?.trim() ? input.env.SYMPHAINY_RUNTIME_CONFIG : undefined;
  const chosen = flag ?? option ?? fromEnv;
  // A bad value (not text, empty) is left to the compile step, which names it.
  const path = typeof chosen === 'string' && chosen.trim() !== '' ? chosen : undefined;
  let file: RuntimeOptionsInput['file'] = typeof chosen === 'object' && chosen !== null ? (chosen as RuntimeConfigFile) : undefined;
  let unreadable: string | undefined;
  if (path !== undefined) {
    try {
      file = { path, text: await readRuntimeConfigText(path) };
    } catch (err) {
      unreadable = (err as Error).message;
    }
  }
  try {
    const compiled = compileRuntimeOptions({ ...input, ...(file ? { file } : {}) });
    if (unreadable !== undefined) throw new ConfigError(unreadable);
    return compiled;
  } catch (err) {
    if (unreadable !== undefined && err instanceof ConfigError && err.message !== unreadable) {
      throw new ConfigError(`${unreadable}\n${err.message}`);
    }
    throw err;
  }
}

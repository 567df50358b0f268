/**
 * Runtime options, compiled in one step (Temporal style: options → with
 * defaults → compiled): {@link compileRuntimeOptions} reads flags, options,
 * environment and the runtime config file, reports every problem at once
 * and returns the options deep-frozen. {@link OPTION_SPECS} is the one
 * table of options, sources and defaults.
 * @module
 */
export { compileRuntimeOptions, type CompiledRuntimeOptions, type DatabaseTimeouts, type RuntimeOptionsInput } from './compile-runtime-options.ts';
export { DEFAULT_GROUP_COMMIT, DEFAULT_INLINE_MAX_BYTES, LONG_RUNNING_SWEEP_INTERVAL_SECONDS, OPTION_SPECS, RUNTIME_OPTION_NAMES, type OptionSpec } from './runtime-option-specs.ts';
export { DEFAULT_HTTP_LIMITS, DEFAULT_HTTP_TIMEOUTS, DEFAULT_MAX_CONNECTIONS, type HttpLimits, type HttpTimeouts } from './http-options.ts';
export { checkRuntimeConfigYaml, loadRuntimeConfig, parseRuntimeConfigYaml, readRuntimeConfigText, type RuntimeConfigFile } from './runtime-config-file.ts';
export { optionsTable } from './options-table.ts';

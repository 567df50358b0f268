// The runtime config file is read and checked with the other options (src/options).
export {
  loadRuntimeConfig,
  parseRuntimeConfigYaml,
  type RuntimeConfigFile,
} from '../options/runtime-config-file.ts';

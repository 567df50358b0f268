#!/usr/bin/env node
// The `symphainy` command. The package ships TypeScript sources; tsx loads them
// (and lets `--realm` modules be TypeScript too, ESM or CommonJS).
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

registerEsm();
registerCjs();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

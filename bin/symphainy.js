#!/usr/bin/env node
// The `symphainy` command. The package ships TypeScript sources; tsx loads them
// (and lets `--realm` modules be TypeScript too).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

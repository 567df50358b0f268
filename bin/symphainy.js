#!/usr/bin/env node
// The `symphainy` command. The package ships TypeScript sources; tsx loads them
// (and lets `--realm` modules be TypeScript too, ESM or CommonJS).
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

// The pinned AWS SDK works on Node 20; its notice about future SDK releases
// needing Node 22 would print on every S3 command. Library users still see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

registerEsm();
registerCjs();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

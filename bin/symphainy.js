#!/usr/bin/env node
// The `symphainy` command. An installed package runs its compiled output
// (dist/). A development checkout (it has tsconfig.json, which is not
// shipped) runs the TypeScript sources through tsx, a development
// dependency, so an edit never meets a stale build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The pinned AWS SDK works on Node 20; its notice about future SDK releases
// needing Node 22 would print on every S3 command. Library users still see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const here = (path) => new URL(path, import.meta.url);

async function tsxApis() {
  try {
    return await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  } catch {
    return null; // a checkout installed without development dependencies: use dist/ if built
  }
}

const checkout = existsSync(here('../tsconfig.json')) && existsSync(here('../src/cli/main.ts'));
const tsx = checkout ? await tsxApis() : null;
let cli;
if (tsx) {
  // The checkout's tsconfig (its paths map 'symphainy' to the sources) wherever the command runs from,
  // not one tsx would look for in the working directory: a --realm module importing 'symphainy' needs it.
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(here('../tsconfig.json'));
  tsx[0].register(); // --realm modules may be TypeScript, ESM or CommonJS
  tsx[1].register();
  cli = await import(here('../src/cli/main.ts').href);
} else if (existsSync(here('../dist/src/cli/main.js'))) {
  cli = await import(here('../dist/src/cli/main.js').href);
} else {
  process.stderr.write('error: symphainy has no compiled output (dist/) and tsx is not installed: run npm install, or npm run build\n');
  process.exit(1);
}
await cli.main(process.argv);

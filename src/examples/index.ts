/**
 * `symphainy/examples`: the example realms and the files shipped beside them,
 * as absolute paths inside the installed package, so they work from any
 * working directory.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'symphainy';
 * import { exampleRealms, mvpPolicyPath } from 'symphainy/examples';
 * const runtime = await createRuntime({ memory: true, realms: exampleRealms, solutionConfig: mvpPolicyPath });
 * ```
 * @module
 */
import { packagePath } from '../package/package-root.ts';

export { exampleRealms, journey, outcomes, solution } from './realms.ts';
export { publishing, mockModel } from './publishing.ts';

/** The plan's MVP solution config (derived artifacts persisted): `config/mvp_materialization_policy.yaml`. */
export const mvpPolicyPath: string = packagePath('config', 'mvp_materialization_policy.yaml');

/** An example platform policy (governance rules, bounds): `config/platform_policy.yaml`. */
export const platformPolicyPath: string = packagePath('config', 'platform_policy.yaml');

/** The folder of example intent parameters (`sop_to_workflow.json`, …) and the realm module `my-realm.mjs`. */
export const examplesDir: string = packagePath('examples');

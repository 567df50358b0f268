import { exampleRealms } from '../examples/realms.ts';
import type { Realm } from '../realm/define-realm.ts';
import { loadRealmModule } from '../realm/load-realm-module.ts';

/** The realms a CLI command runs with: the example realms, then those of each `--realm` module in order. */
export async function cliRealms(modules: readonly string[] | undefined): Promise<Realm[]> {
  const realms = [...exampleRealms];
  for (const path of modules ?? []) realms.push(...(await loadRealmModule(path)));
  return realms;
}

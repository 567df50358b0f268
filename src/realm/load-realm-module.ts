import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RealmDefinitionError } from '../errors/index.ts';
import { defineRealm, isRealm, type Realm, type RealmDefinitionInput } from './define-realm.ts';

/**
 * Loads realms from a module file (`--realm ./my-realm.js`). The module's
 * default export, or its named exports, may be realms made by defineRealm
 * or plain `{ name, intents }` objects (validated the same way), or arrays of
 * them. Errors name the file.
 */
export async function loadRealmModule(path: string): Promise<Realm[]> {
  const file = resolve(path);
  try {
    await access(file);
  } catch {
    throw new RealmDefinitionError(`realm module ${path}: file not found`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new RealmDefinitionError(`realm module ${path}: cannot load: ${(err as Error).message}`, { cause: err });
  }
  const candidates = mod.default !== undefined ? [mod.default] : Object.values(mod);
  const realms: Realm[] = [];
  const add = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(add);
    if (isRealm(value)) return void realms.push(value);
    if (value !== null && typeof value === 'object' && 'name' in value && 'intents' in value) {
      try {
        realms.push(defineRealm(value as RealmDefinitionInput));
      } catch (err) {
        throw new RealmDefinitionError(`realm module ${path}: ${(err as Error).message}`);
      }
    }
  };
  candidates.forEach(add);
  if (realms.length === 0) {
    throw new RealmDefinitionError(
      `realm module ${path}: exports no realm (export default defineRealm({ name, intents }) or a { name, intents } object)`,
    );
  }
  return realms;
}

import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RealmDefinitionError } from '../errors/index.ts';
import { defineRealm, isRealm, type Realm, type RealmDefinitionInput } from './define-realm.ts';

/**
 * Loads realms from a module file (`--realm ./my-realm.js`). The module's
 * default export, or its named exports, may be realms made by defineRealm
 * or plain `{ name, intents }` objects (validated the same way), or arrays of
 * them. A TypeScript module (`.ts`, `.mts`, `.cts`) loads through `tsx` when
 * that package is installed; without it the error says so. Errors name the
 * file.
 * @throws RealmDefinitionError (SYM_ERR_REALM_DEFINITION)
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
    mod = await importModule(pathToFileURL(file).href, path);
  } catch (err) {
    if (err instanceof RealmDefinitionError) throw err;
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

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/i;

/**
 * Imports a module; a TypeScript one that the running Node cannot load by
 * itself (no TypeScript loader registered) goes through tsx's `tsImport`,
 * which compiles it in this process without registering a global hook.
 */
async function importModule(url: string, path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (!TYPESCRIPT.test(path) || (err as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  }
  let tsx: typeof import('tsx/esm/api');
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    throw new RealmDefinitionError(
      `realm module ${path}: is TypeScript, and loading TypeScript needs the package 'tsx', which is not installed: ` +
        'npm install tsx (or compile the module to JavaScript)',
      { cause: err },
    );
  }
  return (await tsx.tsImport(url, import.meta.url)) as Record<string, unknown>;
}

import { InvalidIntentError, RealmDefinitionError, UnknownIntentError } from '../errors/index.ts';
import { isRealm, type IntentDefinition, type Realm } from './define-realm.ts';

/** One intent type the runtime can execute. */
export interface RegisteredIntent {
  /** `<realm>.<intent>` */
  readonly intentType: string;
  readonly realm: string;
  readonly definition: IntentDefinition;
}

/**
 * Maps intent types to realm handlers and validates parameters against each
 * intent's schema. Registration is checked (no realm or intent type twice);
 * lookups of unknown types fail with the list of known ones.
 */
export class IntentRegistry {
  readonly #intents = new Map<string, RegisteredIntent>();
  readonly #realms = new Set<string>();

  register(realm: Realm): void {
    if (!isRealm(realm)) throw new RealmDefinitionError('register() expects a realm made by defineRealm()');
    if (this.#realms.has(realm.name)) throw new RealmDefinitionError(`realm '${realm.name}' is already registered`);
    this.#realms.add(realm.name);
    for (const [name, definition] of Object.entries(realm.intents)) {
      const intentType = `${realm.name}.${name}`;
      this.#intents.set(intentType, Object.freeze({ intentType, realm: realm.name, definition }));
    }
  }

  has(intentType: string): boolean {
    return this.#intents.has(intentType);
  }

  resolve(intentType: string): RegisteredIntent {
    const entry = this.#intents.get(intentType);
    if (!entry) throw new UnknownIntentError(intentType, [...this.#intents.keys()].sort());
    return entry;
  }

  list(): RegisteredIntent[] {
    return [...this.#intents.values()].sort((a, b) => a.intentType.localeCompare(b.intentType));
  }

  /** Returns the parsed parameters, or throws InvalidIntentError naming each offending field. */
  validateParameters(entry: RegisteredIntent, parameters: unknown): unknown {
    const schema = entry.definition.params;
    if (!schema) return parameters;
    let issues: { path: string; message: string }[] | null = null;
    if ('safeParse' in schema && typeof schema.safeParse === 'function') {
      const res = schema.safeParse(parameters);
      if (res.success) return res.data;
      issues = toIssues(res.error);
    } else {
      try {
        return (schema as { parse(x: unknown): unknown }).parse(parameters);
      } catch (err) {
        issues = toIssues(err);
      }
    }
    throw new InvalidIntentError(
      `invalid parameters for '${entry.intentType}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
}

/** Reads Zod-style `issues` ({ path, message }) from a validation error; falls back to its message. */
function toIssues(err: unknown): { path: string; message: string }[] {
  const raw = (err as { issues?: unknown })?.issues;
  if (Array.isArray(raw) && raw.length > 0) {
    return raw.map((i: { path?: readonly PropertyKey[]; message?: string }) => ({
      path: ['parameters', ...(i.path ?? []).map(String)].join('.'),
      message: i.message ?? 'invalid',
    }));
  }
  return [{ path: 'parameters', message: err instanceof Error ? err.message : String(err) }];
}

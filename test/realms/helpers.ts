import type { ExecutionContext } from '../../src/intent/execution-context.ts';
import type { Realm } from '../../src/realm/define-realm.ts';
import { normalizeResult, type NormalizedArtifact, type NormalizedResult } from '../../src/realm/normalize-result.ts';

export function fakeContext(realm: string, intent: string): ExecutionContext {
  return {
    executionId: 'exec_test',
    intentId: 'intent_test',
    intentType: `${realm}.${intent}`,
    tenantId: 'tenant_test',
    sessionId: 'session_test',
    realm,
    signal: new AbortController().signal,
    deadline: Number.MAX_SAFE_INTEGER,
    recordUsage: () => Promise.reject(new Error('recordUsage: no runtime behind this test context')),
    emit: () => Promise.reject(new Error('emit: no runtime behind this test context')),
    // Called directly: steps just run; waits have no runtime to resume them.
    step: async (_name, fn) => fn(), sleep: () => Promise.reject(new Error('no waits outside a runtime')),
    waitFor: () => Promise.reject(new Error('no waits outside a runtime')), approval: () => Promise.reject(new Error('no waits outside a runtime')),
  };
}

/** Validates `params` with the intent's schema, as the runtime does; throws on invalid input. */
export function validate(realm: Realm, intent: string, params: unknown): unknown {
  const schema = realm.intents[intent]?.params;
  if (!schema) throw new Error(`no params schema for ${realm.name}.${intent}`);
  if ('safeParse' in schema) {
    const r = schema.safeParse(params);
    if (!r.success) throw r.error;
    return r.data;
  }
  return schema.parse(params);
}

/** True when the intent's schema accepts `params`. */
export function accepts(realm: Realm, intent: string, params: unknown): boolean {
  try {
    validate(realm, intent, params);
    return true;
  } catch {
    return false;
  }
}

/** Validates, runs the handler and normalizes its result. */
export async function run(
  realm: Realm,
  intent: string,
  params: unknown,
): Promise<{ raw: any; result: NormalizedResult }> {
  const def = realm.intents[intent];
  if (!def) throw new Error(`no intent ${realm.name}.${intent}`);
  const raw = await def.handler(validate(realm, intent, params), fakeContext(realm.name, intent));
  return { raw, result: normalizeResult(raw) };
}

export function artifact(result: NormalizedResult, key: string): NormalizedArtifact {
  const a = result.artifacts.find((x) => x.key === key);
  if (!a) throw new Error(`no artifact '${key}' (have: ${result.artifacts.map((x) => x.key).join(', ')})`);
  return a;
}

export function renderingOf(a: NormalizedArtifact, name: string): { contentType: string; text: string } {
  const r = a.renderings.find((x) => x.name === name);
  if (!r) throw new Error(`artifact '${a.key}' has no rendering '${name}'`);
  return { contentType: r.contentType, text: Buffer.from(r.bytes).toString('utf8') };
}

/** Every rendering of every artifact, as `key/name → text`, for byte comparisons. */
export function renderingSnapshot(result: NormalizedResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of result.artifacts) {
    for (const r of a.renderings) out[`${a.key}/${r.name}`] = `${r.contentType}\n${Buffer.from(r.bytes).toString('hex')}`;
  }
  return out;
}

/**
 * A small well-formedness check for generated XML: tags balance, every `&`
 * starts an entity, and no `<` or `>` appears in text or attribute values.
 */
export function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  for (const [token] of xml.matchAll(/<[^<>]*>|[^<>]+|[<>]/g)) {
    if (token === '<' || token === '>') throw new Error(`stray '${token}' in XML`);
    if (token.startsWith('<')) {
      if (token.startsWith('<?') || token.startsWith('<!--')) continue;
      const name = /^<\/?([A-Za-z][\w:-]*)/.exec(token)?.[1];
      if (!name) throw new Error(`malformed tag ${token}`);
      for (const [, , value] of token.matchAll(/\s[\w:-]+=(["'])(.*?)\1/g)) checkEntities(value ?? '');
      if (token.startsWith('</')) {
        const open = stack.pop();
        if (open !== name) throw new Error(`</${name}> closes <${open}>`);
      } else if (!token.endsWith('/>')) {
        stack.push(name);
      }
    } else {
      checkEntities(token);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

function checkEntities(text: string): void {
  for (const m of text.matchAll(/&/g)) {
    if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/.test(text.slice(m.index))) {
      throw new Error(`unescaped '&' in ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
}

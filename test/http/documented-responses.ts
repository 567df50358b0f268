/**
 * Checks HTTP answers against the server's own OpenAPI document: the status
 * is documented for the operation, the content type is one it lists, and a
 * JSON body validates (JSON Schema 2020-12, Ajv) against the documented
 * schema. Shared by the conformance and fuzz suites (not a test file).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Json = Record<string, any>;

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  /** OpenAPI path (`/v1/executions/{id}`). */
  readonly path: string;
  /** Who may call it, from its security requirement. */
  readonly access: 'tenant' | 'admin' | 'public';
  readonly responses: Record<string, Json>;
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const isJsonType = (type: string) => type === 'application/json' || type.endsWith('+json');

/** A documented media type (`*\/*`, `text/*` or exact) that covers the actual one. */
function covers(documented: string, actual: string): boolean {
  if (documented === '*/*') return actual.length > 0;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return documented === actual;
}

export class DocumentedResponses {
  readonly operations = new Map<string, Operation>();
  readonly #ajv = new Ajv2020({ strict: true, allErrors: true });
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #problem: ValidateFunction;
  readonly #problemByStatus = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const security = (op.security ?? document.security ?? []) as Json[];
        const access = security.length === 0 ? 'public' : 'adminKey' in security[0]! ? 'admin' : 'tenant';
        this.operations.set(op.operationId, { operationId: op.operationId, method: method.toUpperCase(), path, access, responses: op.responses });
      }
    }
    // A problem answered to a request no operation matched: the schema an operation documents for its status
    // (its code one of the codes with that status), else the document's general Problem schema.
    const general = (document.components?.schemas as Json | undefined)?.Problem;
    if (!general) throw new Error('the document has no components.schemas.Problem');
    this.#problem = this.#ajv.compile(general);
    for (const op of this.operations.values()) {
      for (const [status, r] of Object.entries(op.responses)) {
        const schema = r.content?.['application/problem+json']?.schema;
        if (schema && !this.#problemByStatus.has(status)) this.#problemByStatus.set(status, this.#ajv.compile(schema));
      }
    }
  }

  /** Statuses the document lists for an operation. */
  statuses(operationId: string): string[] {
    return Object.keys(this.#op(operationId).responses);
  }

  /**
   * What is wrong with an answer to `operationId` (empty when it conforms).
   * `body` is the text of the body; undefined when it was not read (streams).
   */
  violations(operationId: string, status: number, headers: Headers, body: string | undefined): string[] {
    const op = this.#op(operationId);
    const spec = op.responses[String(status)];
    if (!spec) return [`${operationId}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`];
    const out: string[] = [];
    for (const name of Object.keys(spec.headers ?? {})) {
      if (!headers.has(name)) out.push(`${operationId} ${status}: documented header ${name} is missing`);
    }
    const content = (spec.content ?? {}) as Record<string, { schema: Json }>;
    const actual = mediaType(headers.get('content-type'));
    if (Object.keys(content).length === 0) {
      if (body !== undefined && body.length > 0) out.push(`${operationId} ${status}: documented without a body, got ${JSON.stringify(body.slice(0, 200))}`);
      return out;
    }
    const documented = Object.keys(content).find((t) => covers(t, actual));
    if (!documented) {
      out.push(`${operationId} ${status}: content type '${actual}' is not documented (${Object.keys(content).join(', ')})`);
      return out;
    }
    if (status >= 400 && actual !== 'application/problem+json') out.push(`${operationId} ${status}: an error answered as '${actual}'`);
    if (body === undefined || !isJsonType(documented)) return out;
    const key = `${operationId} ${status} ${documented}`;
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile(content[documented]!.schema);
      this.#validators.set(key, validate);
    }
    return out.concat(check(validate, key, body));
  }

  /** What is wrong with a problem document answered to a request no operation matched (empty when it conforms). */
  problemViolations(status: number, headers: Headers, body: string): string[] {
    const actual = mediaType(headers.get('content-type'));
    if (actual !== 'application/problem+json') return [`status ${status}: content type '${actual}', not application/problem+json`];
    const out = check(this.#problemByStatus.get(String(status)) ?? this.#problem, `problem ${status}`, body);
    if (out.length === 0 && (JSON.parse(body) as { status?: unknown }).status !== status) out.push(`problem ${status}: its status member says otherwise`);
    return out;
  }

  #op(operationId: string): Operation {
    const op = this.operations.get(operationId);
    if (!op) throw new Error(`the document has no operation '${operationId}'`);
    return op;
  }
}

function check(validate: ValidateFunction, what: string, body: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [`${what}: the body is not JSON: ${JSON.stringify(body.slice(0, 200))}`];
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e) => `${what}: ${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** The checkout's absolute path (`/…/main/`): no answer names where the server's files are. */
const SOURCE_ROOT = new URL('../../', import.meta.url).pathname;

/**
 * What a client must never see in an error answer: a stack trace (`at fn
 * (/path/file.ts:1:2)` or `at /path:1:2`), a module path, the server's source directory.
 */
export function internalsIn(text: string): string | null {
  const patterns: [RegExp, string][] = [
    [/\bat (?:[\w$.<>\[\] ]+ )?\(?(?:file:\/\/)?\/[^\s)]+:\d+:\d+\)?/, 'a stack frame'],
    [/node_modules/, 'a node_modules path'],
    [/node:internal/, 'a node internal module'],
    [new RegExp(SOURCE_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the source directory'],
  ];
  for (const [re, what] of patterns) {
    const m = re.exec(text);
    if (m) return `${what}: ${JSON.stringify(m[0])}`;
  }
  return null;
}

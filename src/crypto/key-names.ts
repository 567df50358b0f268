import { createHmac } from 'node:crypto';
import { canonicalScope, type KeyScope } from './scope.ts';

/**
 * Key ids: opaque and deterministic per scope and generation.
 *
 *   tenant   t.<tenantTag>.<gen>
 *   session  s.<tenantTag>.<scopeTag>.<gen>
 *   subject  u.<tenantTag>.<scopeTag>.<gen>
 *
 * Tags are 96 bits of HMAC-SHA256 under the store's naming key (a random
 * key kept wrapped in the key store like any data key), hex encoded.
 *
 * Why deterministic: two processes that first use a scope at the same time
 * race on the same file name, and exclusive creation lets one win (no
 * registry to coordinate). Why keyed: ids are in clear in every sealed
 * header; a plain hash of `customer_id=42` could be confirmed by anyone who
 * guesses it. Why the tenant tag in every id: a tenant's erasure finds all of
 * its keys by name. 96 bits keep an accidental collision (two scopes sharing
 * a key) below 1e-10 for a billion scopes.
 */
export const NAMING_KEY_ID = 'naming.1';

export interface ParsedKeyId {
  readonly kind: KeyScope['kind'];
  readonly tenantTag: string;
  /** The id without its generation: every generation of one scope shares it. */
  readonly scopeName: string;
  readonly generation: number;
}

const PARSE = /^(?:(t)\.([0-9a-f]{24})|([su])\.([0-9a-f]{24})\.([0-9a-f]{24}))\.([1-9][0-9]{0,8})$/;

export class KeyNames {
  readonly #namingKey: Buffer;

  constructor(namingKey: Buffer) {
    this.#namingKey = namingKey;
  }

  /** The scope's name: its key id without the generation. */
  scopeName(scope: KeyScope): string {
    const t = this.#tag(canonicalScope({ kind: 'tenant', tenantId: scope.tenantId }));
    if (scope.kind === 'tenant') return `t.${t}`;
    return `${scope.kind === 'session' ? 's' : 'u'}.${t}.${this.#tag(canonicalScope(scope))}`;
  }

  /** The tenant tag every key of the tenant carries. */
  tenantTag(tenantId: string): string {
    return this.#tag(canonicalScope({ kind: 'tenant', tenantId }));
  }

  #tag(bytes: Buffer): string {
    return createHmac('sha256', this.#namingKey).update(bytes).digest('hex').slice(0, 24);
  }
}

/** The key id of a scope's generation. */
export function keyIdOf(scopeName: string, generation: number): string {
  return `${scopeName}.${generation}`;
}

/** Parses a data key id; undefined for anything else (the naming key, foreign names). */
export function parseKeyId(keyId: string): ParsedKeyId | undefined {
  const m = PARSE.exec(keyId);
  if (!m) return undefined;
  const generation = Number(m[6]);
  if (m[1]) return { kind: 'tenant', tenantTag: m[2]!, scopeName: `t.${m[2]}`, generation };
  return { kind: m[3] === 's' ? 'session' : 'subject', tenantTag: m[4]!, scopeName: `${m[3]}.${m[4]}.${m[5]}`, generation };
}

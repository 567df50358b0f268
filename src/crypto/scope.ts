import { InvalidRequestError } from '../errors/index.ts';

/**
 * A key scope: what one data key covers. Every record is covered by its
 * tenant's scope, and optionally by its session's and by one or more
 * declared subjects' (e.g. `customer_id=42`). Destroying the key of any
 * covering scope makes the record unreadable.
 */
export type KeyScope =
  | { readonly kind: 'tenant'; readonly tenantId: string }
  | { readonly kind: 'session'; readonly tenantId: string; readonly sessionId: string }
  | { readonly kind: 'subject'; readonly tenantId: string; readonly name: string; readonly value: string };

/** A declared data subject: a parameter name and its value, e.g. `{ name: 'customer_id', value: '42' }`. */
export interface SubjectRef {
  readonly name: string;
  readonly value: string;
}

/**
 * The scopes that cover one record. `tenantId` is required; `sessionId` and
 * `subjects` add their scopes. Subjects are deduplicated and sorted, so the
 * same cover always yields the same keys in the same order.
 */
export interface Cover {
  readonly tenantId: string;
  readonly sessionId?: string;
  readonly subjects?: readonly SubjectRef[];
}

/**
 * Which record (and which field of it) a sealed value belongs to. It is the
 * associated data of the encryption: a value sealed for one record cannot be
 * opened as another's (moved rows, swapped fields, another tenant).
 */
export interface RecordRef {
  readonly tenantId: string;
  /** The record's id, e.g. `execution:exe_123` or `artifact:art_9/rendering:report.pdf`. */
  readonly record: string;
  /** The field, e.g. `parameters`, `semanticPayload`, `error.message`. */
  readonly field: string;
}

/** Same rule as a tenant id elsewhere (src/intent/intent.ts), repeated so this module depends on nothing above it. */
const TENANT_ID = /^(?!\.)[A-Za-z0-9._:@-]{1,128}$/;
const SUBJECT_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_VALUE_BYTES = 1024;

/** `tenant/record#field`, how errors name a record. */
export function describeRecord(ref: RecordRef): string {
  return `${ref.tenantId}/${ref.record}#${ref.field}`;
}

/**
 * Checks a cover and returns its scopes: tenant first, then session, then
 * subjects sorted by name and value.
 * @throws InvalidRequestError naming the field (`tenantId`, `sessionId`, `subjects[i].name`…).
 */
export function coverScopes(cover: Cover): KeyScope[] {
  const issues: { path: string; message: string }[] = [];
  if (typeof cover?.tenantId !== 'string' || !TENANT_ID.test(cover.tenantId)) {
    issues.push({ path: 'tenantId', message: 'must be a tenant id (letters, digits, . _ - : @; at most 128)' });
  }
  if (cover?.sessionId !== undefined && (typeof cover.sessionId !== 'string' || !validValue(cover.sessionId))) {
    issues.push({ path: 'sessionId', message: `must be a non-empty string of at most ${MAX_VALUE_BYTES} bytes` });
  }
  const subjects = cover?.subjects ?? [];
  if (!Array.isArray(subjects)) issues.push({ path: 'subjects', message: 'must be an array of { name, value }' });
  else
    subjects.forEach((s: SubjectRef, i: number) => {
      if (typeof s?.name !== 'string' || !SUBJECT_NAME.test(s.name)) {
        issues.push({ path: `subjects[${i}].name`, message: 'must be a parameter name (letters, digits, _ . -; at most 128)' });
      }
      if (typeof s?.value !== 'string' || !validValue(s.value)) {
        issues.push({ path: `subjects[${i}].value`, message: `must be a non-empty string of at most ${MAX_VALUE_BYTES} bytes` });
      }
    });
  if (issues.length) {
    throw new InvalidRequestError(`invalid encryption cover: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  const scopes: KeyScope[] = [{ kind: 'tenant', tenantId: cover.tenantId }];
  if (cover.sessionId !== undefined) scopes.push({ kind: 'session', tenantId: cover.tenantId, sessionId: cover.sessionId });
  const seen = new Set<string>();
  const sorted = [...subjects].sort((a, b) => (a.name === b.name ? cmp(a.value, b.value) : cmp(a.name, b.name)));
  for (const s of sorted) {
    const k = `${s.name}\u0000${s.value}`;
    if (seen.has(k)) continue;
    seen.add(k);
    scopes.push({ kind: 'subject', tenantId: cover.tenantId, name: s.name, value: s.value });
  }
  return scopes;
}

/** Checks a single scope (as given to rotate or destroy). @throws InvalidRequestError */
export function checkScope(scope: KeyScope): KeyScope {
  switch (scope?.kind) {
    case 'tenant':
      return coverScopes({ tenantId: scope.tenantId })[0]!;
    case 'session':
      return coverScopes({ tenantId: scope.tenantId, sessionId: scope.sessionId })[1]!;
    case 'subject':
      return coverScopes({ tenantId: scope.tenantId, subjects: [{ name: scope.name, value: scope.value }] })[1]!;
    default:
      throw new InvalidRequestError(`invalid key scope: kind must be 'tenant', 'session' or 'subject'`, [
        { path: 'kind', message: "must be 'tenant', 'session' or 'subject'" },
      ]);
  }
}

/**
 * The scope's canonical bytes (input of its keyed name): length-prefixed
 * parts, so `a=b` + `c` and `a` + `b=c` never collide.
 */
export function canonicalScope(scope: KeyScope): Buffer {
  const parts =
    scope.kind === 'tenant'
      ? ['tenant', scope.tenantId]
      : scope.kind === 'session'
        ? ['session', scope.tenantId, scope.sessionId]
        : ['subject', scope.tenantId, scope.name, scope.value];
  return lengthPrefixed(parts);
}

/** The associated data for a record: length-prefixed tenant, record and field. */
export function recordAad(ref: RecordRef): Buffer {
  const issues: { path: string; message: string }[] = [];
  for (const f of ['tenantId', 'record', 'field'] as const) {
    if (typeof ref?.[f] !== 'string' || ref[f].length === 0) issues.push({ path: f, message: 'must be a non-empty string' });
  }
  if (issues.length) throw new InvalidRequestError(`invalid record reference: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  return lengthPrefixed(['record', ref.tenantId, ref.record, ref.field]);
}

export function lengthPrefixed(parts: readonly string[]): Buffer {
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    bufs.push(len, b);
  }
  return Buffer.concat(bufs);
}

function validValue(v: string): boolean {
  return v.length > 0 && Buffer.byteLength(v, 'utf8') <= MAX_VALUE_BYTES;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

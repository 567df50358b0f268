import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors/index.ts';
import { SAFE_ID } from '../../intent/intent.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson } from '../output.ts';
import { parseSubjectFlag, requireExistingStore, requireKnownTenant } from '../store-checks.ts';

/** What `keys rotate` did: new data key ids per scope, and the KEK rotation. */
export interface RotationReport {
  /** The scope's new current key id (records sealed from now on use it; older ones still open until erased). */
  readonly rotated: readonly { readonly scope: string; readonly keyId: string }[];
  /** With `--kek`: data keys rewrapped under the new KEK, and the KEK ids retired. */
  readonly kek?: { readonly current: string; readonly rewrapped: readonly string[]; readonly retired: readonly string[] };
}

/**
 * `symphainy keys rotate`: new generations of a tenant's (or one session's
 * or subject's) data key, and/or a new key-encryption key with every data
 * key rewrapped under it. Refuses a data dir that does not exist (it would
 * be created empty) and a tenant the store does not know.
 */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('encryption keys of tenant content at rest (docs/encryption.md)');
  keys
    .command('rotate')
    .description("rotate a tenant's data key (or one session's or subject's) and/or the key-encryption key")
    .option('--tenant <id>', "rotate this tenant's data key (records sealed from now on use the new one)")
    .option('--session <id>', "with --tenant: only this session's key")
    .option('--subject <key=value>', "with --tenant: only this subject's key (e.g. customer_id=42)")
    .option('--kek', 'new key-encryption key: every data key is rewrapped under it, then the old one is retired')
    .option('--json', 'print the rotation as JSON')
    .action(async (opts, cmd: Command) => {
      if (!opts.kek && opts.tenant === undefined) throw new ConfigError('keys rotate: say what to rotate: --tenant <id> (a data key) and/or --kek');
      if ((opts.session !== undefined || opts.subject !== undefined) && opts.tenant === undefined) {
        throw new ConfigError('keys rotate: --session and --subject need --tenant');
      }
      if (opts.session !== undefined && opts.subject !== undefined) throw new ConfigError('keys rotate: give --session or --subject, not both');
      if (opts.session !== undefined && !SAFE_ID.test(String(opts.session))) {
        throw new ConfigError(`keys rotate: --session must be a session id (letters, digits, . _ - : @; at most 128), got '${String(opts.session).slice(0, 100)}'`);
      }
      const parsed = opts.subject !== undefined ? parseSubjectFlag(opts.subject) : undefined;
      const subject = parsed ? { name: parsed.key, value: parsed.value } : undefined;
      const g = cmd.optsWithGlobals();
      requireExistingStore('keys rotate', g);
      const { withRuntime } = await openRuntime();
      const report = await withRuntime(g, async (rt): Promise<RotationReport> => {
        const keyring = rt.keyring;
        if (!keyring) throw new ConfigError('keys rotate: encryption is off for this runtime (encryption: false)');
        const rotated: { scope: string; keyId: string }[] = [];
        if (opts.tenant !== undefined) {
          const tenantId = String(opts.tenant);
          await requireKnownTenant('keys rotate', rt, tenantId);
          const scope = subject
            ? { kind: 'subject' as const, tenantId, ...subject }
            : opts.session !== undefined ? { kind: 'session' as const, tenantId, sessionId: String(opts.session) } : { kind: 'tenant' as const, tenantId };
          const label = subject ? `subject ${subject.name} of tenant ${tenantId}` : opts.session !== undefined ? `session ${opts.session} of tenant ${tenantId}` : `tenant ${tenantId}`;
          // A session's or subject's key exists once a record was sealed under it: a typo must not mint one.
          if (scope.kind !== 'tenant' && (await keyring.generations(scope)).length === 0) throw noKeyToRotate(rt, scope, label);
          rotated.push({ scope: label, keyId: await keyring.rotate(scope) });
        }
        if (!opts.kek) return { rotated };
        return { rotated, kek: await rotateKek(keyring.location) };
      });
      if (opts.json) return printJson(report);
      process.stdout.write(
        report.rotated.map((r) => `${r.scope}: new data key ${r.keyId}\n`).join('') +
          (report.kek ? `key-encryption key ${report.kek.current} is current: ${report.kek.rewrapped.length} data keys rewrapped` +
            `${report.kek.retired.length ? `, retired ${report.kek.retired.join(', ')}` : ''}\n` : ''),
      );
    });
}

/** The refusal to rotate a session's or subject's key that was never made (its id is keyed: the store knows it or not). */
function noKeyToRotate(
  rt: { cipher: { subjectNames(tenantId: string): readonly string[] } | null }, scope: { kind: 'session' | 'subject'; tenantId: string; name?: string }, label: string,
): ConfigError {
  if (scope.kind === 'session') return new ConfigError(`keys rotate: no data key of ${label} exists (no record of that session was sealed); check the session id`);
  const declared = rt.cipher?.subjectNames(scope.tenantId) ?? [];
  const why = declared.includes(scope.name!)
    ? 'no record of that subject value was sealed; check the value'
    : `subject '${scope.name}' is not declared in the platform policy's subjects (${declared.length ? `declared: ${declared.join(', ')}` : 'none declared'}) and no record was sealed under a key of it`;
  return new ConfigError(`keys rotate: no data key of ${label} exists: ${why}`);
}

/**
 * KEK rotation over a key directory: a new KEK first in the KEK file, every
 * data key rewrapped, the old KEKs retired. With `SYMPHAINY_KEK` the KEK is
 * the operator's (a secret manager's): put the new one first
 * (`new,old`), run this to rewrap, then drop the old one.
 */
async function rotateKek(keyDir: string): Promise<NonNullable<RotationReport['kek']>> {
  const [{ addKek, retireKeks }, { LocalKekProvider }, { FileKeyStore }, { Keyring }, { dirname }] = await Promise.all([
    import('../../crypto/local-kek/kek-file.ts'), import('../../crypto/local-kek/local-kek-provider.ts'),
    import('../../crypto/file-store/file-key-store.ts'), import('../../crypto/keyring.ts'), import('node:path'),
  ]);
  if (keyDir === 'memory') throw new ConfigError('keys rotate --kek: this runtime keeps its keys in memory; there is no KEK to rotate');
  const store = await FileKeyStore.open(keyDir);
  if (process.env.SYMPHAINY_KEK) {
    const provider = LocalKekProvider.fromEnv('SYMPHAINY_KEK');
    const rewrapped = await (await Keyring.open({ store, provider })).rewrapAll();
    return { current: provider.currentKekId, rewrapped, retired: [] };
  }
  const file = process.env.SYMPHAINY_KEK_FILE || join(dirname(keyDir), 'kek');
  const provider = await addKek(file);
  const rewrapped = await (await Keyring.open({ store, provider })).rewrapAll();
  const retired = await retireKeks(file);
  return { current: provider.currentKekId, rewrapped, retired };
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, KeyUnavailableError } from '../../src/errors/index.ts';
import { Envelope, LocalKekProvider, openEmbeddedKeyring, parseKekText, sealedFromText, sealedToText } from '../../src/crypto/index.ts';

describe('local KEK provider', () => {
  it('reads KEKs from an env var or a file: id:base64 or bare base64, first is current, all unwrap', async () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const p = LocalKekProvider.fromEnv('MY_KEK', { MY_KEK: `new:${a.toString('base64')}, ${b.toString('base64')}` });
    assert.equal(p.currentKekId, 'new');
    assert.match(p.kekIds[1]!, /^kek-[0-9a-f]{12}$/);
    const older = new LocalKekProvider([{ id: p.kekIds[1]!, key: b }]);
    const dataKey = randomBytes(32);
    const w = await older.wrap(dataKey, 't.x.1');
    assert.deepEqual(await p.unwrap(w, 't.x.1'), dataKey, 'a non-current KEK still unwraps');
    await assert.rejects(p.unwrap(w, 't.x.2'), KeyUnavailableError, 'bound to its key id');
    await assert.rejects(new LocalKekProvider([{ id: 'other', key: a }]).unwrap(w, 't.x.1'), /KEK 'kek-[0-9a-f]{12}', which options does not hold/);
  });

  it('refuses a malformed KEK naming the file and line, or the variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sym-kek-'));
    try {
      const file = join(dir, 'kek');
      await writeFile(file, `# comment\n\nk1:${randomBytes(32).toString('base64')}\nk2:${randomBytes(16).toString('base64')}\n`);
      await assert.rejects(LocalKekProvider.fromFile(file), (e: unknown) => e instanceof ConfigError && e.message === `${file}:4: key-encryption key must decode to 32 bytes, not 16`);
      await assert.rejects(LocalKekProvider.fromFile(join(dir, 'missing')), /cannot read key-encryption key file/);
      assert.throws(() => LocalKekProvider.fromEnv('NOPE', {}), /environment variable NOPE is not set/);
      assert.throws(() => parseKekText('bad id!:AAAA', 'env X'), ConfigError);
      assert.throws(() => parseKekText('k:not base64 at all', 'env X'), /env X: key-encryption key is not base64/);
      assert.throws(() => new LocalKekProvider([{ id: 'a', key: randomBytes(32) }, { id: 'a', key: randomBytes(32) }]), /appears twice/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('embedded default: creates <dataDir>/kek (0600) and <dataDir>/keys, and reopens with them; SYMPHAINY_KEK takes precedence', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sym-emb-'));
    try {
      const ref = { tenantId: 'acme', record: 'r', field: 'f' };
      const env1 = new Envelope(await openEmbeddedKeyring(dir, { env: {} }));
      const sealed = await env1.seal('embedded', { tenantId: 'acme' }, ref);
      assert.equal((await stat(join(dir, 'kek'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700);
      const env2 = new Envelope(await openEmbeddedKeyring(dir, { env: {} }));
      assert.equal((await env2.open(sealed, ref)).toString(), 'embedded');
      const other = `x:${randomBytes(32).toString('base64')}`;
      await assert.rejects(openEmbeddedKeyring(dir, { env: { SYMPHAINY_KEK: other } }), (e: unknown) => e instanceof ConfigError && /KEK 'kek-[0-9a-f]+'|KEK 'x'/.test(e.message));
      // The text form survives a JSON round trip.
      assert.deepEqual(sealedFromText(JSON.parse(JSON.stringify(sealedToText(sealed)))), sealed);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

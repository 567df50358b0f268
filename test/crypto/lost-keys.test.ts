import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigError, KeyDestroyedError, KeyUnavailableError } from '../../src/errors/index.ts';
import { Envelope, FileKeyStore, Keyring, LocalKekProvider, MemoryKeyStore, parseSealed, type DataKeyStore, type KeyScope } from '../../src/crypto/index.ts';
import { freshKeyring } from './crypto-fixtures.ts';

// A key id, once issued, is never issued again with other bytes: a key file that is lost (not destroyed
// by an erasure) makes writes under its scope refuse, naming the key and its file, until the file is
// restored (or the scope is rotated or erased, which moves to a new id).

const ref = { tenantId: 'acme', record: 'execution:exe_1', field: 'parameters' };
const scopes: Record<string, { scope: KeyScope; cover: { tenantId: string; sessionId?: string; subjects?: { name: string; value: string }[] } }> = {
  tenant: { scope: { kind: 'tenant', tenantId: 'acme' }, cover: { tenantId: 'acme' } },
  session: { scope: { kind: 'session', tenantId: 'acme', sessionId: 's1' }, cover: { tenantId: 'acme', sessionId: 's1' } },
  subject: { scope: { kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' }, cover: { tenantId: 'acme', subjects: [{ name: 'customer_id', value: '42' }] } },
};

const lostKey = (keyId: string, file?: string) => (e: unknown) => {
  assert.ok(e instanceof KeyUnavailableError, `expected KeyUnavailableError, got ${String(e)}`);
  assert.ok(e.message.includes(keyId), e.message);
  if (file) assert.ok(e.message.includes(file), e.message);
  assert.match(e.message, /lost|missing/);
  return true;
};

describe('a lost data key file (file key store)', () => {
  let k: Awaited<ReturnType<typeof freshKeyring>>;
  beforeEach(async () => {
    k = await freshKeyring();
  });
  afterEach(() => k.cleanup());
  const reopen = async () => Keyring.open({ store: await FileKeyStore.open(k.keysDir), provider: k.provider });

  for (const [kind, { scope, cover }] of Object.entries(scopes)) {
    it(`${kind} key: writing refuses with SYM_ERR_KEY_UNAVAILABLE naming the key and its file; restoring the file heals both old and new records`, async () => {
      const old = await k.envelope.seal('old', cover, ref);
      const keyId = (await k.keyring.activeKey(scope)).keyId;
      const file = join(k.keysDir, `${keyId}.key`);
      const backup = join(k.dir, 'backup.key');
      await copyFile(file, backup);
      await rm(file);

      // A new process (no cached key) must not issue the id again.
      const ring = await reopen();
      const env = new Envelope(ring);
      await assert.rejects(env.seal('new', cover, ref), lostKey(keyId, file));
      await assert.rejects(ring.activeKey(scope), lostKey(keyId, file));
      assert.ok(!(await readdir(k.keysDir)).includes(`${keyId}.key`), 'no key file was made under the lost id');
      await assert.rejects(env.open(old, ref), lostKey(keyId));
      assert.deepEqual((await ring.generations(scope)).map((g) => g.state), ['lost']);

      await copyFile(backup, file);
      const healed = new Envelope(await reopen());
      assert.equal((await healed.open(old, ref)).toString(), 'old');
      const fresh = await healed.seal('new', cover, ref);
      assert.ok(parseSealed(fresh).keyIds.includes(keyId));
    });
  }

  it('a rotation moves past a lost key to a new id; the lost one still opens once restored', async () => {
    const old = await k.envelope.seal('old', scopes.tenant!.cover, ref);
    const keyId = (await k.keyring.activeKey(scopes.tenant!.scope)).keyId;
    const file = join(k.keysDir, `${keyId}.key`);
    await copyFile(file, join(k.dir, 'backup.key'));
    await rm(file);
    const ring = await reopen();
    const next = await ring.rotate(scopes.tenant!.scope);
    assert.equal(next, keyId.replace(/\.1$/, '.2'));
    const fresh = await new Envelope(ring).seal('new', scopes.tenant!.cover, ref);
    assert.ok(parseSealed(fresh).keyIds.includes(next));
    await copyFile(join(k.dir, 'backup.key'), file);
    const healed = new Envelope(await reopen());
    assert.equal((await healed.open(old, ref)).toString(), 'old');
    assert.equal((await healed.open(fresh, ref)).toString(), 'new');
  });

  it('erasing a tenant whose key was lost destroys the lost id too; the next write gets a new id and the old data stays unreadable', async () => {
    const old = await k.envelope.seal('old', { tenantId: 'acme', sessionId: 's1' }, ref);
    const [tenantKey, sessionKey] = parseSealed(old).keyIds as [string, string];
    await rm(join(k.keysDir, `${tenantKey}.key`));
    const ring = await reopen();
    assert.deepEqual((await ring.destroyTenant('acme')).sort(), [tenantKey, sessionKey].sort());
    const env = new Envelope(ring);
    const fresh = await env.seal('new', { tenantId: 'acme', sessionId: 's1' }, ref);
    assert.deepEqual([...parseSealed(fresh).keyIds], [tenantKey.replace(/\.1$/, '.2'), sessionKey.replace(/\.1$/, '.2')]);
    await assert.rejects(env.open(old, ref), KeyDestroyedError);
    assert.equal((await env.open(fresh, ref)).toString(), 'new');
  });

  it('a key dir written before issue records existed: open records them for every key, so a key lost afterwards is refused too', async () => {
    const sealed = await k.envelope.seal('x', scopes.subject!.cover, ref);
    for (const n of await readdir(k.keysDir)) if (n.endsWith('.issued')) await rm(join(k.keysDir, n));
    await FileKeyStore.open(k.keysDir); // the upgrade: issue records for the keys present
    const subjectKey = parseSealed(sealed).keyIds[1]!;
    await rm(join(k.keysDir, `${subjectKey}.key`));
    await assert.rejects((await reopen()).activeKey(scopes.subject!.scope), lostKey(subjectKey));
  });

  it('a generation missing below a live one (lost before issue records existed) is recorded as lost at open', async () => {
    await k.envelope.seal('x', scopes.session!.cover, ref);
    const gen1 = (await k.keyring.activeKey(scopes.session!.scope)).keyId;
    const gen2 = await k.keyring.rotate(scopes.session!.scope);
    for (const n of await readdir(k.keysDir)) if (n.endsWith('.issued')) await rm(join(k.keysDir, n));
    await rm(join(k.keysDir, `${gen1}.key`));
    const ring = await reopen();
    assert.deepEqual(await ring.generations(scopes.session!.scope), [{ keyId: gen1, state: 'lost' }, { keyId: gen2, state: 'live' }]);
    assert.equal((await ring.activeKey(scopes.session!.scope)).keyId, gen2);
  });

  it('a record naming a key the store does not know records that key as issued: a later write refuses instead of issuing it again', async () => {
    const old = await k.envelope.seal('old', scopes.session!.cover, ref);
    const sessionKey = parseSealed(old).keyIds[1]!;
    // Both the key file and its issue record are gone (e.g. the key dir was restored from an older backup).
    await rm(join(k.keysDir, `${sessionKey}.key`));
    await rm(join(k.keysDir, `${sessionKey}.issued`));
    const env = new Envelope(await reopen());
    await assert.rejects(env.open(old, ref), lostKey(sessionKey));
    await assert.rejects(env.seal('new', scopes.session!.cover, ref), lostKey(sessionKey));
  });

  it('a lost naming key is refused at open, not replaced (a new one would rename every scope)', async () => {
    await k.envelope.seal('x', scopes.tenant!.cover, ref);
    await rm(join(k.keysDir, 'naming.1.key'));
    await assert.rejects(reopen(), lostKey('naming.1', join(k.keysDir, 'naming.1.key')));
    await rm(join(k.keysDir, 'naming.1.issued'));
    await assert.rejects(reopen(), (e: unknown) => e instanceof KeyUnavailableError && /naming\.1/.test(e.message) && /holds \d+ other keys?/.test(e.message));
  });

  it('another process creating the naming key between the look and the listing is not taken for a lost one', async () => {
    const fresh = await FileKeyStore.open(join(k.dir, 'race'));
    let first = true;
    // The first look finds no naming key; by the listing, another process has made it.
    const racing: DataKeyStore = {
      location: fresh.location,
      get: async (id) => (first && id === 'naming.1' ? ((first = false), await Keyring.open({ store: fresh, provider: k.provider }), undefined) : fresh.get(id)),
      create: (key) => fresh.create(key),
      recordIssued: (id) => fresh.recordIssued(id),
      replace: (key) => fresh.replace(key),
      destroy: (id) => fresh.destroy(id),
      list: () => fresh.list(),
      where: (id) => fresh.where(id),
    };
    await Keyring.open({ store: racing, provider: k.provider });
  });

  it('a wrong local KEK is a configuration error at open (SYM_ERR_CONFIG, exit 2), naming the KEK source and the key', async () => {
    await k.envelope.seal('x', scopes.tenant!.cover, ref);
    const wrong = new LocalKekProvider([{ id: 'kek-a', key: randomBytes(32) }], 'env SYMPHAINY_KEK');
    await assert.rejects(Keyring.open({ store: k.store, provider: wrong }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /'naming\.1' does not unwrap with KEK 'kek-a' from env SYMPHAINY_KEK/);
      return true;
    });
    const other = new LocalKekProvider([{ id: 'kek-b', key: randomBytes(32) }], 'env SYMPHAINY_KEK');
    await assert.rejects(Keyring.open({ store: k.store, provider: other }), (e: unknown) => e instanceof ConfigError && /kek-a/.test(e.message));
  });
});

describe('the same contract on the memory key store', () => {
  it('an id the store was told was issued (a record names it) is never created; destroying it lets the scope move on', async () => {
    const store: DataKeyStore = new MemoryKeyStore();
    const provider = new LocalKekProvider([{ id: 'kek-a', key: randomBytes(32) }]);
    const ring = await Keyring.open({ store, provider });
    const env = new Envelope(ring);
    const sealed = await env.seal('x', scopes.subject!.cover, ref);
    const subjectKey = parseSealed(sealed).keyIds[1]!;
    // Another keyring over an empty store reads a record naming keys it never had.
    const other = await Keyring.open({ store: new MemoryKeyStore(), provider });
    const otherEnv = new Envelope(other);
    await assert.rejects(otherEnv.open(sealed, ref), KeyUnavailableError);
    assert.equal(await store.get(subjectKey).then((s) => (s && s !== 'destroyed' && s !== 'lost' ? 'live' : s)), 'live');
    await store.recordIssued(subjectKey);
    assert.notEqual(await store.get(subjectKey), 'lost', 'a live key stays live');
    const fresh = new MemoryKeyStore();
    await fresh.recordIssued(subjectKey);
    assert.equal(await fresh.get(subjectKey), 'lost');
    assert.equal(await fresh.create({ keyId: subjectKey, provider: 'local', kekId: 'kek-a', wrapped: Buffer.alloc(60), createdAt: new Date().toISOString() }), false);
    assert.deepEqual((await fresh.list()).lost, [subjectKey]);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ConfigError, KeyDestroyedError, KeyUnavailableError } from '../../src/errors/index.ts';
import { Envelope, FileKeyStore, KeyCache, Keyring, LocalKekProvider, parseSealed, type KeyScope } from '../../src/crypto/index.ts';
import { filesContaining, freshKeyring } from './crypto-fixtures.ts';

const run = promisify(execFile);
const subject: KeyScope = { kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' };
const ref = { tenantId: 'acme', record: 'execution:exe_1', field: 'result' };

describe('keyring', () => {
  let k: Awaited<ReturnType<typeof freshKeyring>>;
  beforeEach(async () => {
    k = await freshKeyring();
  });
  afterEach(() => k.cleanup());

  it('destroying a key removes its material from disk: no file holds the key or its wrapping, the inode was overwritten, a tombstone remains', async () => {
    const { keyId, key } = await k.keyring.activeKey(subject);
    const stored = await k.store.get(keyId);
    assert.ok(typeof stored === 'object');
    const file = join(k.keysDir, `${keyId}.key`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(k.keysDir)).mode & 0o777, 0o700);
    assert.deepEqual(await filesContaining(k.keysDir, stored.wrapped), [file], 'the wrapped key is in its file before');
    assert.deepEqual(await filesContaining(k.keysDir, key), [], 'the plaintext key is never on disk');
    // A second name for the same inode shows whether its bytes were overwritten or merely unlinked.
    const witnessDir = join(k.dir, 'witness');
    await mkdir(witnessDir);
    await link(file, join(witnessDir, 'same-inode'));
    const original = await readFile(file);

    assert.deepEqual(await k.keyring.destroy(subject), [keyId]);

    assert.deepEqual(await filesContaining(k.dir, stored.wrapped), [], 'no file under the data dir holds the wrapped key');
    assert.deepEqual(await filesContaining(k.dir, key), []);
    const after = await readFile(join(witnessDir, 'same-inode'));
    assert.equal(after.length, original.length, 'overwritten in place, same size');
    assert.ok(!after.equals(original));
    assert.ok(!after.includes(Buffer.from('"wrapped"')), 'the inode holds random bytes, not the JSON key file');
    const names = await readdir(k.keysDir);
    assert.ok(!names.includes(`${keyId}.key`));
    assert.ok(names.includes(`${keyId}.destroyed`));
    assert.equal(await k.store.get(keyId), 'destroyed');
    // A fresh keyring (no cache) reports it destroyed, naming the key.
    const again = await Keyring.open({ store: await FileKeyStore.open(k.keysDir), provider: k.provider });
    await assert.rejects(again.key(keyId, 'acme/x#y'), (e: unknown) => e instanceof KeyDestroyedError && e.keyId === keyId && e.message.includes('acme/x#y'));
  });

  it('destruction evicts the cache: the same keyring cannot open what it opened a moment ago', async () => {
    const sealed = await k.envelope.seal('hello', { tenantId: 'acme', subjects: [{ name: 'customer_id', value: '42' }] }, ref);
    assert.equal((await k.envelope.open(sealed, ref)).toString(), 'hello');
    await k.keyring.destroy(subject);
    await assert.rejects(k.envelope.open(sealed, ref), KeyDestroyedError);
  });

  it('another keyring sharing the store sees a destruction once its cache age limit passes', async () => {
    const reader = await Keyring.open({ store: await FileKeyStore.open(k.keysDir), provider: k.provider, cacheMaxAgeMs: 20 });
    const env = new Envelope(reader);
    const sealed = await env.seal('shared', { tenantId: 'acme', subjects: [{ name: 'customer_id', value: '42' }] }, ref);
    assert.equal((await env.open(sealed, ref)).toString(), 'shared'); // now cached in `reader`
    await k.keyring.destroy(subject); // another keyring (another process, on a server) erases
    await new Promise((r) => setTimeout(r, 60));
    await assert.rejects(env.open(sealed, ref), KeyDestroyedError);
  });

  it('rotating a scope key: new records use the new generation, old records still open until the scope is destroyed', async () => {
    const c = { tenantId: 'acme', sessionId: 's1' };
    const old = await k.envelope.seal('old', c, ref);
    const before = (await k.keyring.activeKey({ kind: 'session', tenantId: 'acme', sessionId: 's1' })).keyId;
    const rotated = await k.keyring.rotate({ kind: 'session', tenantId: 'acme', sessionId: 's1' });
    assert.equal(rotated, before.replace(/\.1$/, '.2'));
    const fresh = await k.envelope.seal('new', c, ref);
    assert.ok(parseSealed(fresh).keyIds.includes(rotated));
    assert.ok(parseSealed(old).keyIds.includes(before));
    assert.equal((await k.envelope.open(old, ref)).toString(), 'old');
    assert.equal((await k.envelope.open(fresh, ref)).toString(), 'new');
    // A keyring opened later finds the newest generation.
    const later = await Keyring.open({ store: await FileKeyStore.open(k.keysDir), provider: k.provider });
    assert.equal((await later.activeKey({ kind: 'session', tenantId: 'acme', sessionId: 's1' })).keyId, rotated);
    assert.deepEqual(await k.keyring.generations({ kind: 'session', tenantId: 'acme', sessionId: 's1' }), [
      { keyId: before, state: 'live' },
      { keyId: rotated, state: 'live' },
    ]);
    assert.deepEqual(await k.keyring.destroy({ kind: 'session', tenantId: 'acme', sessionId: 's1' }), [before, rotated]);
    await assert.rejects(k.envelope.open(old, ref), KeyDestroyedError);
    await assert.rejects(k.envelope.open(fresh, ref), KeyDestroyedError);
  });

  it('rotating the KEK rewraps every data key; the old KEK is then not needed, and the old wrapping is gone from disk', async () => {
    const { addKek, ensureKekFile, retireKeks } = await import('../../src/crypto/index.ts');
    const kekFile = join(k.dir, 'kek');
    const p1 = await ensureKekFile(kekFile);
    const kr1 = await Keyring.open({ store: await FileKeyStore.open(join(k.dir, 'keys2')), provider: p1 });
    const env1 = new Envelope(kr1);
    const covers = [{ tenantId: 'acme' }, { tenantId: 'acme', sessionId: 's' }, { tenantId: 'globex', subjects: [{ name: 'customer_id', value: '1' }] }];
    const sealed = await Promise.all(covers.map((c) => env1.seal(`v-${c.tenantId}`, c, { ...ref, tenantId: c.tenantId })));
    const oldWrapped = (await kr1.activeKey({ kind: 'tenant', tenantId: 'acme' })).keyId;
    const oldState = await (await FileKeyStore.open(join(k.dir, 'keys2'))).get(oldWrapped);
    assert.ok(typeof oldState === 'object');

    const p2 = await addKek(kekFile);
    assert.notEqual(p2.currentKekId, p1.currentKekId);
    assert.deepEqual(p2.kekIds, [p2.currentKekId, p1.currentKekId]);
    const kr2 = await Keyring.open({ store: await FileKeyStore.open(join(k.dir, 'keys2')), provider: p2 });
    const rewrapped = await kr2.rewrapAll();
    // naming key + acme tenant + acme session + globex tenant + globex subject
    assert.equal(rewrapped.length, 5);
    assert.deepEqual(await kr2.rewrapAll(), [], 'a second run has nothing left');
    assert.deepEqual(await retireKeks(kekFile), [p1.currentKekId]);

    const p3 = await LocalKekProvider.fromFile(kekFile);
    assert.deepEqual(p3.kekIds, [p2.currentKekId]);
    const env3 = new Envelope(await Keyring.open({ store: await FileKeyStore.open(join(k.dir, 'keys2')), provider: p3 }));
    for (const [i, c] of covers.entries()) {
      assert.equal(await env3.open(sealed[i]!, { ...ref, tenantId: c.tenantId }).then(String), `v-${c.tenantId}`);
    }
    assert.deepEqual(await filesContaining(k.dir, oldState.wrapped), [], 'the old wrapping was shredded');
    // A provider holding only the retired KEK cannot open the store: a configuration error naming the key and the KEK.
    const oldOnly = new LocalKekProvider([{ id: p1.currentKekId, key: Buffer.alloc(32, 7) }]);
    await assert.rejects(
      Keyring.open({ store: await FileKeyStore.open(join(k.dir, 'keys2')), provider: oldOnly }),
      (e: unknown) => e instanceof ConfigError && e.message.includes('naming.1') && e.message.includes(p2.currentKekId),
    );
  });

  it('a wrong KEK is refused at open as a configuration error, naming the key and the KEK', async () => {
    const wrong = new LocalKekProvider([{ id: 'kek-a', key: randomBytes(32) }]);
    await assert.rejects(Keyring.open({ store: k.store, provider: wrong }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'SYM_ERR_CONFIG');
      assert.match(e.message, /'naming\.1' does not unwrap with KEK 'kek-a'/);
      return true;
    });
  });

  it('a key file lost without a tombstone is reported as unavailable, not as destroyed', async () => {
    const sealed = await k.envelope.seal('x', { tenantId: 'acme' }, ref);
    const { keyId } = await k.keyring.activeKey({ kind: 'tenant', tenantId: 'acme' });
    const { rm } = await import('node:fs/promises');
    await rm(join(k.keysDir, `${keyId}.key`));
    const fresh = new Envelope(await Keyring.open({ store: await FileKeyStore.open(k.keysDir), provider: k.provider }));
    await assert.rejects(fresh.open(sealed, ref), (e: unknown) => e instanceof KeyUnavailableError && e.message.includes(keyId) && e.message.includes('acme/execution:exe_1#result'));
  });

  it('destroying a tenant destroys its tenant, session and subject keys, and no other tenant\'s', async () => {
    const a = await k.envelope.seal('a', { tenantId: 'acme', sessionId: 's', subjects: [{ name: 'c', value: '1' }] }, ref);
    const g = await k.envelope.seal('g', { tenantId: 'globex', sessionId: 's' }, { ...ref, tenantId: 'globex' });
    await k.keyring.rotate({ kind: 'tenant', tenantId: 'acme' });
    const ids = await k.keyring.destroyTenant('acme');
    assert.equal(ids.length, 4, ids.join(' '));
    assert.ok(ids.every((id) => parseSealed(a).keyIds.some((x) => x.split('.')[1] === id.split('.')[1])));
    const { live } = await k.store.list();
    assert.deepEqual(live.filter((id) => id !== 'naming.1').sort(), [...parseSealed(g).keyIds].sort());
    await assert.rejects(k.envelope.open(a, ref), KeyDestroyedError);
    assert.equal((await k.envelope.open(g, { ...ref, tenantId: 'globex' })).toString(), 'g');
  });

  it('two concurrent first uses of a scope create one key (in one process, and across keyrings sharing the directory)', async () => {
    const many = await Promise.all(Array.from({ length: 40 }, () => k.keyring.activeKey(subject)));
    assert.equal(new Set(many.map((m) => m.keyId)).size, 1);
    assert.equal(new Set(many.map((m) => m.key.toString('hex'))).size, 1);
    // Separate keyrings (separate caches and chains, as separate processes would have) over one directory.
    const rings = await Promise.all(Array.from({ length: 6 }, async () => Keyring.open({ store: await FileKeyStore.open(k.keysDir), provider: k.provider })));
    const scope: KeyScope = { kind: 'session', tenantId: 'acme', sessionId: 'race' };
    const got = await Promise.all(rings.map((r) => r.activeKey(scope)));
    assert.equal(new Set(got.map((g) => g.keyId)).size, 1);
    assert.equal(new Set(got.map((g) => g.key.toString('hex'))).size, 1);
    const files = (await readdir(k.keysDir)).filter((n) => n.endsWith('.key'));
    assert.equal(files.length, 3, files.join(' ')); // naming, subject, session
  });

  it('across processes: children racing on a scope\'s first use agree on one key and leave one file', async () => {
    const dir = join(k.dir, 'xproc');
    const kek = randomBytes(32);
    const start = join(k.dir, 'start');
    const child = fileURLToPath(new URL('./keyring-child.ts', import.meta.url));
    const ready = join(k.dir, 'ready');
    await mkdir(ready);
    const kids = Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', child, dir, kek.toString('hex'), start, ready]));
    // Every child has opened its keyring (the naming key exists) before they start together on the file.
    let failed: unknown;
    for (const kid of kids) kid.catch((e: unknown) => (failed ??= e));
    while ((await readdir(ready)).length < 4) {
      if (failed) throw failed; // a child that died before it was ready must fail the test, not hang it
      await new Promise((r) => setTimeout(r, 10));
    }
    await writeFile(start, '');
    const outs = (await Promise.all(kids)).map((o) => o.stdout.trim());
    assert.equal(new Set(outs).size, 1, outs.join('\n'));
    const keyFiles = (await readdir(dir)).filter((n) => n.endsWith('.key') && n !== 'naming.1.key');
    assert.deepEqual(keyFiles, [`${outs[0]!.split(' ')[0]}.key`]);
    assert.equal((await readdir(dir)).filter((n) => n.startsWith('.tmp-')).length, 0);
  });

  it('the key cache is bounded: with room for 2 keys, 20 scopes still open (reloaded from the store)', async () => {
    const small = await Keyring.open({ store: k.store, provider: k.provider, cacheSize: 2 });
    const env = new Envelope(small);
    const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => env.seal(`v${i}`, { tenantId: 'acme', sessionId: `s${i}` }, ref)));
    for (const [i, s] of sealed.entries()) assert.equal((await env.open(s, ref)).toString(), `v${i}`);
    const cache = new KeyCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined, 'least recently used went first');
    assert.equal(cache.get('a'), 1);
    assert.throws(() => new KeyCache(0), RangeError);
  });

  it('open finishes an interrupted destruction and removes temp files left by a crash', async () => {
    const { keyId } = await k.keyring.activeKey(subject);
    const keyFile = join(k.keysDir, `${keyId}.key`);
    const bytes = await readFile(keyFile);
    // Crash after the tombstone, before the shred: both exist.
    await writeFile(join(k.keysDir, `${keyId}.destroyed`), 'x\n');
    const old = new Date(Date.now() - 120_000);
    await writeFile(join(k.keysDir, '.tmp-leftover.key.abc'), bytes);
    await utimes(join(k.keysDir, '.tmp-leftover.key.abc'), old, old);
    // Another process's write in progress (fresh temp file) is left alone.
    await writeFile(join(k.keysDir, '.tmp-inflight.key.def'), 'in progress');
    // A crash between link and rename in replaceFile: the retired name is the live file's second link.
    const other = (await k.keyring.activeKey({ kind: 'tenant', tenantId: 'acme' })).keyId;
    const otherFile = join(k.keysDir, `${other}.key`);
    const otherBytes = await readFile(otherFile);
    await link(otherFile, `${otherFile}.retired`);
    await utimes(`${otherFile}.retired`, old, old);
    await FileKeyStore.open(k.keysDir);
    const names = await readdir(k.keysDir);
    assert.ok(!names.includes(`${keyId}.key`));
    assert.deepEqual(names.filter((n) => n.startsWith('.tmp-') || n.endsWith('.retired')), ['.tmp-inflight.key.def']);
    assert.deepEqual(await filesContaining(k.keysDir, bytes), []);
    assert.deepEqual(await readFile(otherFile), otherBytes, 'the live key shared with a retired name was not overwritten');
  });
});

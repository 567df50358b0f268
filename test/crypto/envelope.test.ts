import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DecryptError, InvalidRequestError, KeyDestroyedError } from '../../src/errors/index.ts';
import { isSealed, parseSealed, type Cover, type KeyScope, type RecordRef } from '../../src/crypto/index.ts';
import { freshKeyring } from './crypto-fixtures.ts';

const cover: Cover = { tenantId: 'acme', sessionId: 'sess-1', subjects: [{ name: 'customer_id', value: '42' }] };
const ref: RecordRef = { tenantId: 'acme', record: 'execution:exe_1', field: 'parameters' };
const MARKER = 'MARKER-7f3a9c';

describe('envelope seal/open', () => {
  let k: Awaited<ReturnType<typeof freshKeyring>>;
  beforeEach(async () => {
    k = await freshKeyring();
  });
  afterEach(() => k.cleanup());

  it('round-trips bytes, strings, the text form, an empty value and 1 MB', async () => {
    const bytes = randomBytes(1024);
    assert.deepEqual(await k.envelope.open(await k.envelope.seal(bytes, cover, ref), ref), bytes);
    const s = `{"customer_id":"42","note":"${MARKER} ü 😀"}`;
    const sealed = await k.envelope.seal(s, cover, ref);
    assert.equal((await k.envelope.open(sealed, ref)).toString('utf8'), s);
    assert.ok(!sealed.includes(Buffer.from(MARKER)), 'the plaintext is not in the sealed bytes');
    assert.equal(sealed.length, Buffer.byteLength(s) + 187, 'overhead for tenant + session + one subject (docs/encryption.md)');
    const text = await k.envelope.sealText(s, cover, ref);
    assert.match(text, /^sye1:[A-Za-z0-9_-]+$/);
    assert.equal(await k.envelope.openText(text, ref), s);
    assert.equal((await k.envelope.open(await k.envelope.seal('', cover, ref), ref)).length, 0);
    const big = randomBytes(1024 * 1024);
    assert.deepEqual(await k.envelope.open(await k.envelope.seal(big, cover, ref), ref), big);
  });

  it('names its keys in the header: tenant, session, then subjects sorted; salt and nonce fresh per value', async () => {
    const c2: Cover = { tenantId: 'acme', sessionId: 's', subjects: [{ name: 'z', value: '1' }, { name: 'a', value: '2' }, { name: 'a', value: '2' }] };
    const a = await k.envelope.seal('x', c2, ref);
    const b = await k.envelope.seal('x', c2, ref);
    assert.ok(isSealed(a));
    const pa = parseSealed(a);
    const pb = parseSealed(b);
    assert.equal(pa.version, 1);
    assert.equal(pa.keyIds.length, 4, 'duplicate subject counted once');
    assert.match(pa.keyIds[0]!, /^t\.[0-9a-f]{24}\.1$/);
    assert.match(pa.keyIds[1]!, /^s\.[0-9a-f]{24}\.[0-9a-f]{24}\.1$/);
    assert.equal(pa.keyIds[2], (await k.keyring.activeKey({ kind: 'subject', tenantId: 'acme', name: 'a', value: '2' })).keyId);
    assert.equal(pa.keyIds[3], (await k.keyring.activeKey({ kind: 'subject', tenantId: 'acme', name: 'z', value: '1' })).keyId);
    assert.deepEqual(pa.keyIds, pb.keyIds);
    assert.notDeepEqual(pa.salt, pb.salt);
    assert.notDeepEqual(pa.nonce, pb.nonce);
    assert.notDeepEqual(pa.ciphertext, pb.ciphertext);
    // Key ids are keyed tags only (hex), never the tenant, session or subject spelled out or plainly hashed.
    const { createHash } = await import('node:crypto');
    for (const id of pa.keyIds) {
      assert.match(id, /^[tsu](\.[0-9a-f]{24}){1,2}\.[0-9]+$/);
      for (const part of ['tenant', 'acme', 'session', 's', 'z', '1', 'a', '2']) {
        assert.ok(!id.includes(createHash('sha256').update(part).digest('hex').slice(0, 24)), id);
      }
    }
  });

  it('refuses to open a value as another record, field or tenant (associated data), naming keys and record', async () => {
    const sealed = await k.envelope.seal(MARKER, cover, ref);
    const others: RecordRef[] = [
      { ...ref, record: 'execution:exe_2' },
      { ...ref, field: 'result' },
      { ...ref, tenantId: 'globex' },
    ];
    for (const other of others) {
      await assert.rejects(k.envelope.open(sealed, other), (err: unknown) => {
        assert.ok(err instanceof DecryptError);
        assert.equal(err.code, 'SYM_ERR_DECRYPT');
        assert.ok(err.message.includes(`${other.tenantId}/${other.record}#${other.field}`), err.message);
        for (const id of parseSealed(sealed).keyIds) assert.ok(err.message.includes(id), err.message);
        return true;
      });
    }
    // The original still opens.
    assert.equal((await k.envelope.open(sealed, ref)).toString(), MARKER);
  });

  it('refuses a tampered value: any flipped byte of header, tag or ciphertext, a truncation, or no header', async () => {
    const sealed = await k.envelope.seal(`${MARKER} some content`, cover, ref);
    const p = parseSealed(sealed);
    const headerLen = p.header.length;
    // Salt, nonce, tag and every ciphertext byte (key-id bytes are checked below: they change which key is fetched).
    for (let i = headerLen - 28; i < sealed.length; i++) {
      const t = Buffer.from(sealed);
      t[i]! ^= 0x01;
      await assert.rejects(k.envelope.open(t, ref), DecryptError, `byte ${i}`);
    }
    // A key id swapped for another live key of the tenant: the header is authenticated too.
    const other = (await k.keyring.activeKey({ kind: 'session', tenantId: 'acme', sessionId: 'sess-2' })).keyId;
    const swapped = Buffer.from(sealed.toString('latin1').replace(p.keyIds[1]!, other), 'latin1');
    assert.equal(swapped.length, sealed.length);
    await assert.rejects(k.envelope.open(swapped, ref), DecryptError);
    await assert.rejects(k.envelope.open(sealed.subarray(0, sealed.length - 1), ref), DecryptError);
    await assert.rejects(k.envelope.open(sealed.subarray(0, 20), ref), /truncated/);
    await assert.rejects(k.envelope.open(Buffer.from('{"plain":"json"}'), ref), /not a sealed value/);
    const v2 = Buffer.from(sealed);
    v2[3] = 2;
    await assert.rejects(k.envelope.open(v2, ref), /cannot open record 'acme\/execution:exe_1#parameters': unsupported sealed format version 2/);
    await assert.rejects(k.envelope.openText('plain text', ref), (e: unknown) => e instanceof DecryptError && /sye1:/.test(e.message));
  });

  const scopes: [string, KeyScope][] = [
    ['tenant', { kind: 'tenant', tenantId: 'acme' }],
    ['session', { kind: 'session', tenantId: 'acme', sessionId: 'sess-1' }],
    ['subject', { kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' }],
  ];
  for (const [name, scope] of scopes) {
    it(`destroying the ${name} key makes every record it covers unreadable (SYM_ERR_KEY_DESTROYED naming the key and record)`, async () => {
      const sealed = await k.envelope.seal(MARKER, cover, ref);
      // Records of the same tenant outside this scope (other session, other subject).
      const otherCover: Cover = { tenantId: 'acme', sessionId: 'sess-9', subjects: [{ name: 'customer_id', value: '43' }] };
      const otherRef = { ...ref, record: 'execution:exe_9' };
      const other = await k.envelope.seal('other', otherCover, otherRef);
      const keyId = (await k.keyring.activeKey(scope)).keyId;
      assert.ok(parseSealed(sealed).keyIds.includes(keyId));
      assert.deepEqual(await k.keyring.destroy(scope), [keyId]);
      await assert.rejects(k.envelope.open(sealed, ref), (err: unknown) => {
        assert.ok(err instanceof KeyDestroyedError);
        assert.equal(err.code, 'SYM_ERR_KEY_DESTROYED');
        assert.equal(err.statusCode, 410);
        assert.equal(err.keyId, keyId);
        assert.equal(err.record, 'acme/execution:exe_1#parameters');
        assert.ok(err.message.includes(keyId) && err.message.includes('acme/execution:exe_1#parameters'), err.message);
        return true;
      });
      if (name === 'tenant') await assert.rejects(k.envelope.open(other, otherRef), KeyDestroyedError);
      else assert.equal((await k.envelope.open(other, otherRef)).toString(), 'other');
      // The scope is usable again with a fresh generation; the old records stay unreadable.
      const again = await k.envelope.seal('new', cover, ref);
      assert.ok(parseSealed(again).keyIds.includes(keyId.replace(/\.1$/, '.2')));
      assert.equal((await k.envelope.open(again, ref)).toString(), 'new');
      await assert.rejects(k.envelope.open(sealed, ref), KeyDestroyedError);
    });
  }

  it('refuses a cover for another tenant than the record, and names bad cover fields', async () => {
    await assert.rejects(k.envelope.seal('x', { tenantId: 'globex' }, ref), (e: unknown) => {
      assert.ok(e instanceof InvalidRequestError);
      assert.deepEqual(e.issues.map((i) => i.path), ['cover.tenantId']);
      return true;
    });
    await assert.rejects(k.envelope.seal('x', { tenantId: 'acme', subjects: [{ name: 'bad name!', value: '' }] }, ref), (e: unknown) => {
      assert.ok(e instanceof InvalidRequestError);
      assert.deepEqual(e.issues.map((i) => i.path), ['subjects[0].name', 'subjects[0].value']);
      return true;
    });
    await assert.rejects(k.envelope.seal('x', cover, { ...ref, field: '' }), (e: unknown) => e instanceof InvalidRequestError && e.issues[0]?.path === 'field');
  });
});

describe('keyed hashes', () => {
  let k: Awaited<ReturnType<typeof freshKeyring>>;
  beforeEach(async () => {
    k = await freshKeyring();
  });
  afterEach(() => k.cleanup());

  it('are deterministic per keys and purpose, differ from a plain hash, and cannot be recomputed once a covering key is destroyed', async () => {
    const a = await k.envelope.keyedHash('customer_id=42', cover, 'param-fingerprint');
    const b = await k.envelope.keyedHash('customer_id=42', cover, 'param-fingerprint');
    assert.equal(a.hex, b.hex);
    assert.match(a.hex, /^[0-9a-f]{64}$/);
    assert.equal(a.text, `hk1:${a.keyIds.join(',')}:${a.hex}`);
    assert.notEqual((await k.envelope.keyedHash('customer_id=42', cover, 'blob-address')).hex, a.hex);
    assert.notEqual((await k.envelope.keyedHash('customer_id=42', { tenantId: 'acme' }, 'param-fingerprint')).hex, a.hex);
    assert.notEqual((await k.envelope.keyedHash('customer_id=43', cover, 'param-fingerprint')).hex, a.hex);
    const { createHash } = await import('node:crypto');
    assert.notEqual(createHash('sha256').update('customer_id=42').digest('hex'), a.hex);
    // Verification with the stored key ids works while they live…
    assert.equal((await k.envelope.keyedHashWith('customer_id=42', a.keyIds, 'param-fingerprint')).hex, a.hex);
    // …and after the subject's erasure a guess can no longer be confirmed.
    await k.keyring.destroy({ kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' });
    await assert.rejects(k.envelope.keyedHashWith('customer_id=42', a.keyIds, 'param-fingerprint'), KeyDestroyedError);
    assert.notEqual((await k.envelope.keyedHash('customer_id=42', cover, 'param-fingerprint')).hex, a.hex, 'a new generation hashes differently');
    await assert.rejects(k.envelope.keyedHash('x', cover, 'Bad Purpose'), InvalidRequestError);
  });
});

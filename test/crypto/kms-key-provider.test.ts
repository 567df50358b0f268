import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, KeyDestroyedError, KeyUnavailableError } from '../../src/errors/index.ts';
import { Envelope, FileKeyStore, Keyring, KmsKeyProvider, kmsClientFromSend } from '../../src/crypto/index.ts';
import { freshKeyring } from './crypto-fixtures.ts';
import { DecryptCommand, EncryptCommand, FakeKms, GenerateDataKeyCommand } from './fake-kms.ts';

const ref = { tenantId: 'acme', record: 'execution:exe_1', field: 'parameters' };
const cover = { tenantId: 'acme', subjects: [{ name: 'customer_id', value: '42' }] };

describe('KMS key provider', () => {
  it('wraps data keys with GenerateDataKey under the KMS key (alias resolved to its ARN), bound to the data key id', async () => {
    const k = await freshKeyring();
    try {
      const kms = new FakeKms();
      const arn = kms.createKey('alias/symphainy');
      const provider = new KmsKeyProvider({ client: kms, keyId: 'alias/symphainy' });
      const keyring = await Keyring.open({ store: await FileKeyStore.open(`${k.dir}/kms-keys`), provider });
      const env = new Envelope(keyring);
      const sealed = await env.seal('hello', cover, ref);
      assert.equal(provider.currentKekId, arn, 'the ARN KMS reported is recorded, not the alias');
      assert.ok(kms.calls.every((c) => c.startsWith('GenerateDataKey')), kms.calls.join());
      // A keyring opened later unwraps through Decrypt with the recorded ARN.
      const later = new Envelope(await Keyring.open({ store: await FileKeyStore.open(`${k.dir}/kms-keys`), provider: new KmsKeyProvider({ client: kms, keyId: arn }) }));
      assert.equal((await later.open(sealed, ref)).toString(), 'hello');
      assert.ok(kms.calls.includes(`Decrypt ${arn}`));
      // The encryption context binds the wrapping to its key id.
      const w = await provider.wrap(randomBytes(32), 'u.aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbb.1');
      await assert.rejects(provider.unwrap(w, 'u.aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbb.2'), (e: unknown) => {
        assert.ok(e instanceof KeyUnavailableError);
        assert.match(e.message, /KMS Decrypt for data key 'u\.a+\.b+\.2' with KEK 'arn:aws:kms:[^']+' failed: InvalidCiphertextException/);
        return true;
      });
    } finally {
      await k.cleanup();
    }
  });

  it('works with the modular client (send + command classes)', async () => {
    const kms = new FakeKms();
    const arn = kms.createKey();
    const provider = new KmsKeyProvider({ client: kmsClientFromSend(kms, { EncryptCommand, DecryptCommand, GenerateDataKeyCommand }), keyId: arn });
    const key = randomBytes(32);
    assert.deepEqual(await provider.unwrap(await provider.wrap(key, 'k.1'), 'k.1'), key);
    const made = await provider.generateDataKey('k.2');
    assert.deepEqual(await provider.unwrap(made.wrapped, 'k.2'), made.plaintext);
  });

  it('reports a disabled or deleted KMS key as unavailable, naming the data key, the KEK and the KMS exception', async () => {
    const k = await freshKeyring();
    try {
      const kms = new FakeKms();
      const arn = kms.createKey();
      const keyring = await Keyring.open({ store: await FileKeyStore.open(`${k.dir}/kms-keys`), provider: new KmsKeyProvider({ client: kms, keyId: arn }) });
      const sealed = await new Envelope(keyring).seal('x', cover, ref);
      kms.setState(arn, 'PendingDeletion');
      await assert.rejects(
        Keyring.open({ store: await FileKeyStore.open(`${k.dir}/kms-keys`), provider: new KmsKeyProvider({ client: kms, keyId: arn }) }),
        (e: unknown) => e instanceof KeyUnavailableError && e.message.includes('naming.1') && e.message.includes(arn) && e.message.includes('KMSInvalidStateException'),
      );
      kms.setState(arn, 'Enabled');
      // Destroying the data key still works without KMS's help, and wins over a live KMS key.
      await keyring.destroy({ kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' });
      await assert.rejects(new Envelope(keyring).open(sealed, ref), KeyDestroyedError);
    } finally {
      await k.cleanup();
    }
  });

  it('moves a store from a local KEK to KMS, and rotates to a new KMS key, by rewrapping', async () => {
    const k = await freshKeyring();
    try {
      const sealed = await k.envelope.seal('moved', cover, ref);
      const kms = new FakeKms();
      const first = kms.createKey();
      const toKms = await Keyring.open({ store: k.store, provider: new KmsKeyProvider({ client: kms, keyId: first }) }).catch((e: unknown) => e);
      assert.ok(toKms instanceof KeyUnavailableError && /wrapped by the 'local' key provider/.test(toKms.message), String(toKms));
      // With the local provider as a former one, the keyring opens and rewrapAll moves every key to KMS.
      const moving = await Keyring.open({ store: k.store, provider: new KmsKeyProvider({ client: kms, keyId: first }), formerProviders: [k.provider] });
      assert.equal((await moving.rewrapAll()).length, 3); // naming, tenant, subject
      const onKms = new Envelope(await Keyring.open({ store: k.store, provider: new KmsKeyProvider({ client: kms, keyId: first }) }));
      assert.equal((await onKms.open(sealed, ref)).toString(), 'moved');
      // KMS key rotation: a provider with the new key id rewraps everything.
      const second = kms.createKey();
      const r2 = await Keyring.open({ store: k.store, provider: new KmsKeyProvider({ client: kms, keyId: second }) });
      assert.equal((await r2.rewrapAll()).length, 3);
      kms.setState(first, 'Disabled');
      const after = new Envelope(await Keyring.open({ store: k.store, provider: new KmsKeyProvider({ client: kms, keyId: second }) }));
      assert.equal((await after.open(sealed, ref)).toString(), 'moved');
    } finally {
      await k.cleanup();
    }
  });

  it('refuses a client without the KMS methods, or no key id', () => {
    assert.throws(() => new KmsKeyProvider({ client: {} as never, keyId: 'x' }), ConfigError);
    assert.throws(() => new KmsKeyProvider({ client: new FakeKms(), keyId: '' }), ConfigError);
  });
});


/**
 * Child process for the cross-process creation test: opens a keyring over
 * the given key dir and KEK (hex), says it is ready, waits for the start file, then asks for
 * the scope's key and prints `keyId sha256(key)`.
 */
import { createHash } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKeyStore, Keyring, LocalKekProvider } from '../../src/crypto/index.ts';

const [keysDir, kekHex, startFile, readyDir] = process.argv.slice(2) as [string, string, string, string];
const keyring = await Keyring.open({
  store: await FileKeyStore.open(keysDir),
  provider: new LocalKekProvider([{ id: 'kek-a', key: Buffer.from(kekHex, 'hex') }]),
});
await writeFile(join(readyDir, String(process.pid)), '');
// Start together: spin on the start file so every child asks at about the same moment.
for (;;) {
  try {
    await access(startFile);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 2));
  }
}
const { keyId, key } = await keyring.activeKey({ kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' });
process.stdout.write(`${keyId} ${createHash('sha256').update(key).digest('hex')}\n`);

// Shared set-up for transform tests: a temp dir with a key store and a tree.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { EncryptedFile } from '../../src/crypto';
import { LocalKeyStore } from '../../src/keys/local-store';
import type { KeyProvider } from '../../src/keys/provider';

export interface Fixture {
  dir: string;
  data: string;
  storePath: string;
  store: LocalKeyStore;
  /** An empty mount table: no guard point is active. */
  mounts: string;
  cleanup: () => void;
}

/** A temp dir holding `data/` (to transform), `ks/` (key store with key `k`) and a mount table. */
export async function makeFixture(prefix: string): Promise<Fixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const storePath = path.join(dir, 'ks');
  const store = await LocalKeyStore.openOrCreate({ path: storePath });
  await store.createKey('k');
  const mounts = path.join(dir, 'mounts');
  writeFileSync(mounts, '/dev/vda / ext4 rw,relatime 0 0\n');
  const data = path.join(dir, 'data');
  return { dir, data, storePath, store, mounts, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The plaintext of an encrypted lower file, through the format's reference reader. */
export async function decryptedContents(file: string, provider: KeyProvider): Promise<Buffer> {
  const reader = await EncryptedFile.open(file, provider, { readOnly: true });
  try {
    return reader.read(0, reader.size());
  } finally {
    reader.close();
  }
}

/** True when the file starts with the format's magic. */
export function hasHeader(file: string): boolean {
  return readFileSync(file).subarray(0, 8).equals(Buffer.from([0x89, 0x54, 0x4b, 0x52, 0x59, 0x50, 0x54, 0x0a]));
}

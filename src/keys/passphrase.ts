// Where the optional key-store passphrase comes from: a private file, or an
// environment variable for tests and one-off administration.
import { promises as fsp } from 'fs';
import { createError } from '../errors';
import { describeUnsafe } from './permissions';

/** Environment variable holding the passphrase when no file is given. */
export const PASSPHRASE_ENV = 'TAKAKRYPT_KEYSTORE_PASSPHRASE';

/** Read the passphrase file (one trailing newline dropped); it must be private like a key file. */
export async function readPassphraseFile(file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    const stats = await fsp.lstat(file);
    const problem = describeUnsafe(stats, 'file', 0o600);
    if (problem) throw createError('KEYS_PASSPHRASE_UNREADABLE', `passphrase file ${file}: ${problem}`, { path: file });
    data = await fsp.readFile(file);
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof (err as NodeJS.ErrnoException).errno === 'number') {
      throw createError('KEYS_PASSPHRASE_UNREADABLE', `passphrase file ${file}: expected a readable file, got ${(err as NodeJS.ErrnoException).code}`, { path: file });
    }
    throw err;
  }
  let end = data.length;
  if (end > 0 && data[end - 1] === 0x0a) end--;
  const passphrase = Buffer.from(data.subarray(0, end));
  data.fill(0);
  if (passphrase.length === 0) throw createError('KEYS_PASSPHRASE_UNREADABLE', `passphrase file ${file}: expected a non-empty passphrase, got an empty file`, { path: file });
  return passphrase;
}

/** The passphrase from `file` when given, else from the environment, else null (store not wrapped). */
export async function resolvePassphrase(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Buffer | null> {
  if (file) return readPassphraseFile(file);
  const value = env[PASSPHRASE_ENV];
  return value ? Buffer.from(value, 'utf8') : null;
}

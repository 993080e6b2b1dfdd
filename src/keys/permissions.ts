// Ownership and mode checks for the key store: its directory and every file
// in it must be private to the user running the agent (root in production).
import { promises as fsp, type BigIntStats, type Stats } from 'fs';
import { createError } from '../errors';

function octal(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** Why `stats` is unsafe for a private object of `kind`, or null when it is safe. */
export function describeUnsafe(stats: Stats | BigIntStats, kind: 'directory' | 'file', expectedMode: number): string | null {
  const uid = currentUid();
  const typeOk = kind === 'directory' ? stats.isDirectory() : stats.isFile();
  if (!typeOk) return `expected a ${kind}, got ${stats.isSymbolicLink() ? 'a symbolic link' : 'another file type'}`;
  const mode = Number(stats.mode);
  const owner = Number(stats.uid);
  if ((mode & 0o077) !== 0 || owner !== uid) {
    return `expected mode ${octal(expectedMode)} owned by uid ${uid}, got mode ${octal(mode)} owned by uid ${owner}`;
  }
  return null;
}

/** Throw KEYS_STORE_MISSING or KEYS_STORE_INSECURE unless `dir` is a private directory. */
export async function checkStoreDirectory(dir: string): Promise<void> {
  let stats: Stats;
  try {
    stats = await fsp.lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw createError('KEYS_STORE_MISSING', `key store directory ${dir} does not exist; create a key with "takakrypt-agent keys create NAME" to make it`, { path: dir });
    }
    throw err;
  }
  const problem = describeUnsafe(stats, 'directory', 0o700);
  if (problem) {
    throw createError('KEYS_STORE_INSECURE', `key store directory ${dir}: ${problem}; refusing to use it`, { path: dir, mode: stats.mode & 0o7777, uid: stats.uid });
  }
}

/** Throw KEYS_STORE_INSECURE unless the already opened key file is private. */
export function checkKeyFileStats(file: string, stats: Stats | BigIntStats): void {
  const problem = describeUnsafe(stats, 'file', 0o600);
  if (problem) {
    throw createError('KEYS_STORE_INSECURE', `key file ${file}: ${problem}; refusing to load it`, { path: file, mode: Number(stats.mode) & 0o7777, uid: Number(stats.uid) });
  }
}

/** Create `dir` (and missing parents, 0755) as a 0700 directory, or check the existing one. */
export async function ensureStoreDirectory(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { mode: 0o700 });
    await fsp.chmod(dir, 0o700);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
      await fsp.chmod(dir, 0o700);
    } else if (code !== 'EEXIST') {
      throw err;
    }
  }
  await checkStoreDirectory(dir);
}

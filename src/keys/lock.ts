// A lock file serialising changes to the key store (create, rotate) between
// processes. Readers need no lock: key files are replaced atomically.
import { promises as fsp } from 'fs';
import path from 'path';
import { createError } from '../errors';

const LOCK_NAME = '.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryAcquire(file: string): Promise<boolean> {
  try {
    const handle = await fsp.open(file, 'wx', 0o600);
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

/** Run `fn` holding the store's lock; a lock left by a dead process is taken over. */
export async function withStoreLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(dir, LOCK_NAME);
  if (!(await tryAcquire(file))) {
    const holder = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw createError('KEYS_STORE_LOCKED', `key store ${dir}: expected no other writer, got a lock held by live pid ${holder}`, { path: file, pid: holder });
    }
    await fsp.unlink(file).catch(() => undefined);
    if (!(await tryAcquire(file))) {
      throw createError('KEYS_STORE_LOCKED', `key store ${dir}: expected no other writer, got a lock taken by another process just now`, { path: file });
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.unlink(file).catch(() => undefined);
  }
}

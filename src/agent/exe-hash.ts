// SHA-256 of executables for process sets with signatures, cached by
// path + inode + size + mtime so a replaced binary is hashed again.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Computes (and caches) the SHA-256 of an executable; null when unreadable. */
export interface ExeHasher {
  sha256(exe: string): Promise<string | null>;
}

const DEFAULT_CAPACITY = 1024;

/** An ExeHasher with a bounded cache; concurrent requests share one read. */
export function createExeHasher(capacity = DEFAULT_CAPACITY): ExeHasher & { readonly size: number } {
  const cache = new Map<string, Promise<string | null>>();
  return {
    get size() {
      return cache.size;
    },
    async sha256(exe: string): Promise<string | null> {
      const identity = await fileIdentity(exe);
      if (identity === null) return null;
      let pending = cache.get(identity);
      if (pending === undefined) {
        pending = hashFile(exe);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
        cache.set(identity, pending);
      }
      return pending;
    },
  };
}

async function fileIdentity(exe: string): Promise<string | null> {
  // The kernel appends " (deleted)" to the path of an unlinked executable;
  // such a path cannot be verified and stat() of it fails, giving null.
  if (!exe.startsWith('/')) return null;
  try {
    const st = await stat(exe, { bigint: true });
    if (!st.isFile()) return null;
    return `${exe}\0${st.dev}:${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}`;
  } catch {
    return null;
  }
}

function hashFile(exe: string): Promise<string | null> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    const stream = createReadStream(exe);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', () => resolve(null));
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

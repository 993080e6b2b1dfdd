// Crash-safe replacement of a small file: a reader sees the old or the new
// contents, never a mixture, whatever happens during the write.
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import path from 'path';

/** fsync a directory so a rename in it survives a power loss. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write `data` to `file` with `mode`: temp file, fsync, rename over, fsync the directory. */
export async function writeFileAtomic(file: string, data: Buffer, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fsp.open(temp, 'wx', mode);
  let renamed = false;
  try {
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await fsp.rename(temp, file);
    renamed = true;
    await fsyncDirectory(dir);
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await fsp.unlink(temp).catch(() => undefined);
    }
  }
}

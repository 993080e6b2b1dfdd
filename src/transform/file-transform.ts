// Rewriting one file in its new form, crash-safe: the new form is written to
// a temporary file in the same directory, fsynced, given the old file's
// attributes and renamed over it. At every instant the path holds either the
// old or the new form; the temporary file is removed by the next run.
import { constants, promises as fsp, type BigIntStats } from 'fs';
import type { FileHandle } from 'fs/promises';
import path from 'path';
import { createFileCipher, DATA_UNIT_SIZE, fileCipherFromHeader, HEADER_SIZE, isZeroUnit, type FileCipher } from '../crypto';
import { createError } from '../errors';
import type { KeyProvider } from '../keys/provider';
import { copyAttributes } from './attributes';
import { commitLinkGroup } from './links';
import { decide, readFileState, type FileState, type TargetKey, type TransformMode } from './classify';
import { TEMP_PREFIX, TEMP_SUFFIX, type WalkedFile } from './walk';

/** Units per read: 64 × 4096 = 256 KiB. */
const CHUNK_UNITS = 64;

export type FileOutcome =
  | { result: 'transformed'; bytes: number }
  | { result: 'done'; why: string }
  | { result: 'skipped'; why: string }
  | { result: 'changed'; why: string };

export interface FileJob {
  /** The tree's root, where link journals live. */
  root: string;
  mode: TransformMode;
  target: TargetKey | null;
  provider: KeyProvider;
  dryRun: boolean;
  xattrs?: Array<[string, string]>;
}

interface Ciphers {
  source: FileCipher | null;
  target: FileCipher | null;
  header: Buffer | null;
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Name of the temporary file for the file with inode `ino`. */
export function tempPathFor(file: string, ino: bigint | number): string {
  return path.join(path.dirname(file), `${TEMP_PREFIX}${ino}${TEMP_SUFFIX}`);
}

async function makeCiphers(job: FileJob, state: FileState): Promise<Ciphers> {
  const out: Ciphers = { source: null, target: null, header: null };
  if (state.kind === 'encrypted') {
    const key = await job.provider.getKey(state.header.keyName, state.header.keyVersion);
    try {
      out.source = fileCipherFromHeader(state.headerBytes, key);
    } finally {
      key.material.fill(0);
    }
  }
  if (job.mode !== 'decrypt') {
    const key = await job.provider.getKey(job.target!.name, job.target!.version);
    try {
      ({ header: out.header, cipher: out.target } = createFileCipher(key));
    } finally {
      key.material.fill(0);
    }
  }
  return out;
}

async function readFully(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

// A write to a nearly full filesystem may write part of the buffer and
// succeed; the next write then reports ENOSPC.
async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}

// Copy the data units, skipping all-zero ones so holes stay holes: in the
// format a zero unit means zeros in either direction.
async function copyUnits(source: FileHandle, target: FileHandle, ciphers: Ciphers, sourceOffset: number, targetOffset: number, size: number): Promise<boolean> {
  const buffer = Buffer.alloc(CHUNK_UNITS * DATA_UNIT_SIZE);
  try {
    for (let pos = 0; pos < size; pos += buffer.length) {
      const want = Math.min(buffer.length, size - pos);
      if ((await readFully(source, buffer, want, sourceOffset + pos)) !== want) return false;
      for (let start = 0; start < want; ) {
        const unitEnd = (s: number) => Math.min(s + DATA_UNIT_SIZE, want);
        if (isZeroUnit(buffer.subarray(start, unitEnd(start)))) {
          start = unitEnd(start);
          continue;
        }
        let end = unitEnd(start);
        while (end < want && !isZeroUnit(buffer.subarray(end, unitEnd(end)))) end = unitEnd(end);
        const run = buffer.subarray(start, end);
        const firstUnit = (pos + start) / DATA_UNIT_SIZE;
        ciphers.source?.decryptUnits(firstUnit, run, run);
        ciphers.target?.encryptUnits(firstUnit, run, run);
        await writeFully(target, run, targetOffset + pos + start);
        start = end;
      }
    }
    return true;
  } finally {
    buffer.fill(0);
  }
}

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Write the new form of `file` to its temporary file; returns its path, or null when the source shrank meanwhile. */
async function writeNewForm(file: WalkedFile, source: FileHandle, before: BigIntStats, state: FileState, job: FileJob): Promise<string | null> {
  const temp = tempPathFor(file.path, before.ino);
  const ciphers = await makeCiphers(job, state);
  const sourceOffset = state.kind === 'encrypted' ? HEADER_SIZE : 0;
  const targetOffset = ciphers.header ? HEADER_SIZE : 0;
  const plainSize = Number(before.size) - sourceOffset;
  await fsp.unlink(temp).catch(() => undefined);
  const target = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let keep = false;
  try {
    if (ciphers.header) await writeFully(target, ciphers.header, 0);
    if (!(await copyUnits(source, target, ciphers, sourceOffset, targetOffset, plainSize))) return null;
    await target.truncate(targetOffset + plainSize);
    await copyAttributes(target, temp, before, job.xattrs);
    await target.sync();
    keep = true;
    return temp;
  } catch (err) {
    if (isNoSpace(err)) throw createError('TRANSFORM_NO_SPACE', `${file.path}: expected room for its new form, got ${(err as NodeJS.ErrnoException).code}; the file is unchanged`, { path: file.path });
    throw err;
  } finally {
    ciphers.source?.dispose();
    ciphers.target?.dispose();
    await target.close();
    if (!keep) await fsp.unlink(temp).catch(() => undefined);
  }
}

// Every name must still lead to the inode that was read.
async function namesUnchanged(names: string[], before: BigIntStats): Promise<boolean> {
  for (const name of names) {
    const current = await fsp.lstat(name, { bigint: true }).catch(() => null);
    if (!current || !sameFile(before, current)) return false;
  }
  return true;
}

// Put the new form in place under every name of the file.
async function commit(file: WalkedFile, temp: string, before: BigIntStats, job: FileJob): Promise<void> {
  if (!file.links?.length) return fsp.rename(temp, file.path);
  return commitLinkGroup(job.root, temp, file.path, file.links, before.ino, job.mode, job.target);
}

/** Transform one file according to `job`; throws for failures, returns what happened otherwise. */
export async function transformFile(file: WalkedFile, job: FileJob): Promise<FileOutcome> {
  const source = await fsp.open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ELOOP') return null;
    throw err;
  });
  if (source === null) return { result: 'changed', why: 'removed or replaced by a symbolic link since the tree was listed' };
  try {
    const before = await source.stat({ bigint: true });
    // The very inode the walk found: a directory swapped for a symbolic link
    // since then cannot redirect the conversion to a file outside the tree.
    if (before.ino !== BigInt(file.stats.ino) || before.dev !== BigInt(file.stats.dev) || !before.isFile()) {
      return { result: 'changed', why: 'replaced since the tree was listed' };
    }
    const state = await readFileState(source, Number(before.size));
    const decision = decide(job.mode, state, job.target);
    if (decision.action === 'done') return { result: 'done', why: decision.why };
    if (decision.action === 'skip') return { result: 'skipped', why: decision.why };
    if (job.dryRun) return { result: 'transformed', bytes: Number(before.size) };
    const temp = await writeNewForm(file, source, before, state, job);
    const after = await source.stat({ bigint: true });
    if (temp === null || !sameFile(before, after) || !(await namesUnchanged([file.path, ...(file.links ?? [])], before))) {
      if (temp) await fsp.unlink(temp).catch(() => undefined);
      return { result: 'changed', why: `expected size ${before.size} and mtime ${before.mtime.toISOString()} to hold during the run, got size ${after.size} and mtime ${after.mtime.toISOString()}; left in its old form` };
    }
    await commit(file, temp, before, job).catch(async (err: unknown) => {
      await fsp.unlink(temp).catch(() => undefined);
      throw err;
    });
    return { result: 'transformed', bytes: Number(before.size) };
  } finally {
    await source.close();
  }
}

// Carrying a file's attributes over to its transformed copy: owner, mode,
// access and modification times, and extended attributes (ACLs and security
// labels included). Node has no xattr API, so they are read once for the
// whole tree with getfattr and written per file with setfattr (package attr).
import { execFile, execFileSync } from 'child_process';
import type { BigIntStats } from 'fs';
import type { FileHandle } from 'fs/promises';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/** name -> hex value ("0x...") of each extended attribute, by absolute path. */
export type XattrMap = Map<string, Array<[string, string]>>;

function unescapeOctal(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const m = /^\\([0-7]{3})/.exec(text.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1], 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(text[i], 'latin1'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parse `getfattr -d -e hex --absolute-names` output. */
export function parseXattrDump(text: string): XattrMap {
  const out: XattrMap = new Map();
  let current: Array<[string, string]> | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = [];
      out.set(unescapeOctal(line.slice(8)), current);
    } else if (current && line.includes('=')) {
      const eq = line.indexOf('=');
      current.push([unescapeOctal(line.slice(0, eq)), line.slice(eq + 1)]);
    }
  }
  for (const [file, attrs] of out) if (attrs.length === 0) out.delete(file);
  return out;
}

/** True when getfattr and setfattr can be run. */
export function xattrToolsAvailable(): boolean {
  try {
    execFileSync('getfattr', ['--version'], { stdio: 'ignore' });
    execFileSync('setfattr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every extended attribute of every file under `root` (symbolic links not followed). */
export async function readTreeXattrs(root: string): Promise<XattrMap> {
  const { stdout } = await execFileAsync('getfattr', ['-R', '-P', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], {
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 1 << 30,
    encoding: 'latin1',
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return parseXattrDump(stdout);
}

// Node passes times as double seconds, which hold about a quarter of a
// microsecond near the present; aiming at the middle of the microsecond
// keeps it exact to the microsecond, run after run, instead of drifting down.
function seconds(ns: bigint): number {
  return (Number(ns / 1000n) + 0.5) / 1e6;
}

/** Give `target` (open as `handle`, at `targetPath`) the owner, mode, xattrs and times of `source`. */
export async function copyAttributes(handle: FileHandle, targetPath: string, source: BigIntStats, xattrs: Array<[string, string]> | undefined): Promise<void> {
  // chown first: it clears set-id bits and file capabilities, which the
  // chmod and the xattr copy then restore.
  await handle.chown(Number(source.uid), Number(source.gid));
  await handle.chmod(Number(source.mode) & 0o7777);
  for (const [name, value] of xattrs ?? []) {
    await execFileAsync('setfattr', ['-h', '-n', name, '-v', value, targetPath]);
  }
  await handle.utimes(seconds(source.atimeNs), seconds(source.mtimeNs));
}

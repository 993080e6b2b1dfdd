// Reading the mount table and finding what keeps a guard point busy.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export const GUARD_FS_TYPE = 'takakryptfs';

/** One takakryptfs mount: the guard point path and its policy option. */
export interface GuardMount {
  path: string;
  policy: string | null;
}

/** Undo the octal escapes (\040 for a space...) of /proc/self/mounts. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Every takakryptfs mount in the given mounts text (default: this process's table). */
export function listGuardMounts(text?: string): GuardMount[] {
  const table = text ?? readFileSync('/proc/self/mounts', 'utf8');
  const mounts: GuardMount[] = [];
  for (const line of table.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 4 || fields[2] !== GUARD_FS_TYPE) continue;
    const policyOption = fields[3].split(',').find((option) => option.startsWith('policy='));
    mounts.push({
      path: unescapeMountField(fields[1]),
      policy: policyOption ? unescapeMountField(policyOption.slice('policy='.length)) : null,
    });
  }
  return mounts;
}

/** A process holding something under a guard point. */
export interface Holder {
  pid: number;
  exe: string;
  /** What it holds: 'cwd', 'root', 'exe', 'fd 3', 'mmap'. */
  what: string[];
}

function inside(target: string, dir: string): boolean {
  const clean = target.replace(/ \(deleted\)$/, '');
  return clean === dir || clean.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

function safeReadlink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

function heldBy(procDir: string, dir: string): string[] {
  const what: string[] = [];
  for (const link of ['cwd', 'root', 'exe']) {
    const target = safeReadlink(`${procDir}/${link}`);
    if (target !== null && inside(target, dir)) what.push(link);
  }
  let fds: string[] = [];
  try {
    fds = readdirSync(`${procDir}/fd`);
  } catch {
    return what;
  }
  for (const fd of fds) {
    const target = safeReadlink(`${procDir}/fd/${fd}`);
    if (target !== null && inside(target, dir)) what.push(`fd ${fd}`);
  }
  try {
    const maps = readFileSync(`${procDir}/maps`, 'utf8');
    if (maps.split('\n').some((line) => inside(line.replace(/^(\S+\s+){5}/, ''), dir))) what.push('mmap');
  } catch {
    // A process that exited while we looked holds nothing any more.
  }
  return what;
}

/** Every process (but `selfPid`) with a cwd, root, open file or mapping under `dir`. */
export function findHolders(dir: string, procRoot = '/proc', selfPid = process.pid): Holder[] {
  const holders: Holder[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry) || Number(entry) === selfPid) continue;
    const procDir = `${procRoot}/${entry}`;
    const what = heldBy(procDir, dir);
    if (what.length > 0) holders.push({ pid: Number(entry), exe: safeReadlink(`${procDir}/exe`) ?? '?', what });
  }
  return holders;
}

/** "1234 /usr/bin/vim (fd 3, cwd)" for each holder, joined for a message. */
export function describeHolders(holders: Holder[]): string {
  return holders.map((h) => `${h.pid} ${h.exe} (${h.what.join(', ')})`).join('; ');
}

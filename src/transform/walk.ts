// Walking the tree to transform: regular files on the starting filesystem,
// never following symbolic links; everything else is listed as skipped.
import { promises as fsp, Stats } from 'fs';
import path from 'path';

/** Prefix and suffix of the transform's own temporary files. */
export const TEMP_PREFIX = '.takakrypt-transform-';
export const TEMP_SUFFIX = '.tmp';

export interface WalkedFile {
  path: string;
  stats: Stats;
  /** The other names of a hard-linked file, all under the root. */
  links?: string[];
}

export interface SkippedEntry {
  path: string;
  reason: 'symlink' | 'special' | 'other-filesystem' | 'hard-link' | 'protected';
  detail: string;
}

export interface WalkResult {
  files: WalkedFile[];
  skipped: SkippedEntry[];
  /** Temporary files a killed run left behind; the caller removes them. */
  leftovers: string[];
}

/** Journal of a hard-link group being moved to its new inode (links.ts). */
export const JOURNAL_PREFIX = `${TEMP_PREFIX}links-`;
export const JOURNAL_SUFFIX = '.json';

/** True for a link journal this tool writes. */
export function isJournalName(name: string): boolean {
  return name.startsWith(JOURNAL_PREFIX) && name.endsWith(JOURNAL_SUFFIX);
}

/** True for a temporary file this tool writes. */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

// A hard-linked file is converted once, under its first name, and its other
// names are moved to the new inode (links.ts) - but only when every name is
// under the root: a name outside would keep the old form.
function groupHardLinks(candidates: WalkedFile[], result: WalkResult): void {
  const byInode = new Map<string, WalkedFile[]>();
  for (const file of candidates) {
    if (file.stats.nlink <= 1) {
      result.files.push(file);
      continue;
    }
    const id = `${file.stats.dev}:${file.stats.ino}`;
    byInode.set(id, [...(byInode.get(id) ?? []), file]);
  }
  for (const names of byInode.values()) {
    const nlink = names[0].stats.nlink;
    if (names.length === nlink) {
      result.files.push({ ...names[0], links: names.slice(1).map((n) => n.path) });
      continue;
    }
    result.skipped.push({
      path: names[0].path,
      reason: 'hard-link',
      detail: `expected every name of a hard-linked file under the tree, got ${names.length} of its ${nlink} names (inode ${names[0].stats.ino}; here: ${names.map((n) => n.path).join(', ')}); the others would keep the old form`,
    });
  }
}

/** List every regular file under `root` (sorted, depth first) and what is skipped; `protect` lists paths never entered. */
export async function walkTree(root: string, protect: readonly string[] = []): Promise<WalkResult> {
  const result: WalkResult = { files: [], skipped: [], leftovers: [] };
  const candidates: WalkedFile[] = [];
  const rootStats = await fsp.lstat(root);
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const names = (await fsp.readdir(dir)).sort();
    const subdirs: string[] = [];
    for (const name of names) {
      const full = path.join(dir, name);
      const stats = await fsp.lstat(full);
      if (protect.includes(full)) {
        result.skipped.push({ path: full, reason: 'protected', detail: 'the key store; never transformed' });
      } else if (stats.dev !== rootStats.dev) {
        result.skipped.push({ path: full, reason: 'other-filesystem', detail: 'a mount point of another filesystem; transform it separately' });
      } else if (stats.isDirectory()) {
        subdirs.push(full);
      } else if (stats.isSymbolicLink()) {
        result.skipped.push({ path: full, reason: 'symlink', detail: 'a symbolic link; its target is transformed where it lives' });
      } else if (!stats.isFile()) {
        result.skipped.push({ path: full, reason: 'special', detail: 'a device, fifo or socket' });
      } else if (isTempName(name)) {
        result.leftovers.push(full);
      } else if (isJournalName(name)) {
        // A link journal the run recovered from before walking; not data.
      } else {
        candidates.push({ path: full, stats });
      }
    }
    pending.push(...subdirs.reverse());
  }
  groupHardLinks(candidates, result);
  return result;
}

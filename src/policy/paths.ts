// Path handling shared by resource and process matching: normalisation and
// the split of one path into its parent directory, name and ancestors.
import { posix } from 'node:path';

// '//', '/./', '/../', a trailing '/', '/.' or '/..': anything the kernel's
// canonical paths never contain but a hand-written path might.
const NOT_NORMAL = /\/\/|\/\.\.?(\/|$)|.\/$/;

/** Normalise an absolute path ('/a//b/../c/' -> '/a/c'); a relative one is taken from '/'. */
export function normalisePath(path: string): string {
  if (path.length > 0 && path[0] === '/' && !NOT_NORMAL.test(path)) return path;
  const normal = posix.normalize(`/${path}`);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** A normalised path split once per request so every rule reuses the pieces. */
export interface SplitPath {
  path: string;
  /** Parent directory; null for '/'. */
  parent: string | null;
  /** Last component; '' for '/'. */
  name: string;
  /** Proper ancestors of `parent`, nearest first, ending with '/'. */
  above: string[];
}

/** Split a normalised absolute path into parent, name and the parent's ancestors. */
export function splitPath(path: string): SplitPath {
  if (path === '/') return { path, parent: null, name: '', above: [] };
  const slash = path.lastIndexOf('/');
  const parent = slash === 0 ? '/' : path.slice(0, slash);
  const above: string[] = [];
  let dir = parent;
  while (dir !== '/') {
    const cut = dir.lastIndexOf('/');
    dir = cut === 0 ? '/' : dir.slice(0, cut);
    above.push(dir);
  }
  return { path, parent, name: path.slice(slash + 1), above };
}

/** True when `path` is `root` or lies below it (component-wise, never by string prefix alone). */
export function isWithin(root: string, path: string): boolean {
  if (root === '/') return path.startsWith('/');
  return path === root || (path.startsWith(root) && path[root.length] === '/');
}

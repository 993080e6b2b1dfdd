// File names of many sets in one directory, indexed so that one lookup
// finds every set whose entry matches a name: exact names in a Map,
// patterns bucketed by the first character of their literal prefix.
import { matchName, type NamePattern } from './glob';

/** What an index returns for a matching name: a set id and, for processes, a signature. */
export interface NameHit {
  set: number;
  sha256: string | null;
}

/** Every entry of one directory, across all sets. */
export interface NameIndex {
  /** Entries whose pattern is '*'. */
  any: NameHit[];
  exact: Map<string, NameHit[]>;
  /** Patterns with a literal prefix, by its first character. */
  byFirst: Map<string, { pattern: NamePattern; hit: NameHit }[]>;
  /** Patterns that start with a wildcard. */
  open: { pattern: NamePattern; hit: NameHit }[];
}

/** An empty index. */
export function newNameIndex(): NameIndex {
  return { any: [], exact: new Map(), byFirst: new Map(), open: [] };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Add one entry of set `hit.set`. */
export function addName(index: NameIndex, pattern: NamePattern, hit: NameHit): void {
  if (pattern.kind === 'any') index.any.push(hit);
  else if (pattern.kind === 'exact') push(index.exact, pattern.name, hit);
  else if (pattern.prefix === '') index.open.push({ pattern, hit });
  else push(index.byFirst, pattern.prefix[0], { pattern, hit });
}

/** Call `visit` for every entry matching `name` (a set may be visited more than once). */
export function visitMatches(index: NameIndex, name: string, visit: (hit: NameHit) => void): void {
  for (const hit of index.any) visit(hit);
  const exact = index.exact.get(name);
  if (exact !== undefined) for (const hit of exact) visit(hit);
  const bucket = name.length > 0 ? index.byFirst.get(name[0]) : undefined;
  if (bucket !== undefined) for (const p of bucket) if (matchName(p.pattern, name)) visit(p.hit);
  for (const p of index.open) if (matchName(p.pattern, name)) visit(p.hit);
}

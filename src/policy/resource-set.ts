// Resource sets: directory (relative to the guard point) + file pattern +
// subfolders flag. Matching goes through the policy-wide index in
// set-index.ts; docs/POLICY.md defines how directories match.
import type { ResourceSet } from '../config/types';
import { compileNamePattern, type NamePattern } from './glob';
import { normalisePath } from './paths';

/** One entry with its directory normalised and its pattern compiled. */
export interface CompiledResourceEntry {
  directory: string;
  pattern: NamePattern;
  subfolders: boolean;
}

/** A resource set ready to be indexed. */
export interface CompiledResourceSet {
  name: string;
  empty: boolean;
  entries: CompiledResourceEntry[];
}

/** Compile one resource set; an invalid pattern throws the RegExp engine's error. */
export function compileResourceSet(set: ResourceSet): CompiledResourceSet {
  const entries = set.resources.map((entry) => ({
    directory: normalisePath(entry.directory),
    pattern: compileNamePattern(entry.file),
    subfolders: entry.subfolders,
  }));
  return { name: set.name, empty: entries.length === 0, entries };
}

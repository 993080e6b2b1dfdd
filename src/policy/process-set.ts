// Process sets: executables by exact directory plus file name or pattern,
// optionally with the SHA-256 the binary must have. Matching goes through
// the policy-wide index in set-index.ts.
import type { ProcessSet } from '../config/types';
import { compileNamePattern, type NamePattern } from './glob';
import { normalisePath } from './paths';

/** One entry with its directory normalised and its pattern compiled. */
export interface CompiledProcessEntry {
  directory: string;
  pattern: NamePattern;
  /** Lowercase hex; null = any binary at that path. */
  sha256: string | null;
}

/** A process set ready to be indexed. */
export interface CompiledProcessSet {
  name: string;
  empty: boolean;
  entries: CompiledProcessEntry[];
  /** Some entry carries a signature, so requests need the executable's SHA-256. */
  needsSha256: boolean;
}

/** Compile one process set; an invalid pattern throws the RegExp engine's error. */
export function compileProcessSet(set: ProcessSet): CompiledProcessSet {
  const entries = set.processes.map((entry) => ({
    directory: normalisePath(entry.directory),
    pattern: compileNamePattern(entry.file),
    sha256: entry.sha256 === null ? null : entry.sha256.toLowerCase(),
  }));
  return { name: set.name, empty: entries.length === 0, entries, needsSha256: entries.some((e) => e.sha256 !== null) };
}

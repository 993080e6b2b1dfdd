// Field-level conversions shared by the normaliser: tolerant readers (the
// schema has already reported wrong types, so these only pick defaults),
// absolute and relative paths, and file-name patterns.
import { compileNamePattern } from '../policy/glob';
import { normalisePath } from '../policy/paths';
import type { Findings, PathSegment } from './problems';

/** A mapping, or an empty one when the value is anything else. */
export function mapping(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A list, or an empty one when the value is anything else. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The string value, or `fallback` when absent or of another type. */
export function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** The string value, or null when absent or of another type. */
export function optionalText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The boolean value, or `fallback`. */
export function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/** The number value, or `fallback`. */
export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** The strings of a list, skipping anything else. */
export function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === 'string');
}

/** The integers of a list, skipping anything else. */
export function integers(value: unknown): number[] {
  return list(value).filter((item): item is number => Number.isInteger(item));
}

/** Normalise an absolute path; a relative one is an error and is returned as written. */
export function absolutePath(value: string, path: readonly PathSegment[], findings: Findings): string {
  if (!value.startsWith('/')) {
    findings.error(path, `expected an absolute path (starting with '/'), got ${JSON.stringify(value)}`);
    return value;
  }
  return normalisePath(value);
}

/** Normalise a directory relative to a guard point to start with '/'; '..' may not leave it. */
export function relativeDirectory(value: string, path: readonly PathSegment[], findings: Findings): string {
  if (value.split('/').includes('..')) {
    findings.error(path, `expected a directory inside the guard point (no '..'), got ${JSON.stringify(value)}`);
  }
  return normalisePath(value);
}

/** Report a file-name pattern the matcher would reject or read differently from its author. */
export function checkNamePattern(pattern: string, path: readonly PathSegment[], findings: Findings): void {
  const problem = namePatternProblem(pattern);
  if (problem !== null) {
    findings.error(path, `${problem}, got ${JSON.stringify(pattern)}`);
  }
}

// The matcher treats an unclosed '[' as a literal character; in a
// configuration that is nearly always a typo, so it is rejected here.
function namePatternProblem(pattern: string): string | null {
  if (pattern.includes('/')) return "expected a file-name pattern without '/'";
  if (pattern === '.' || pattern === '..') return "expected a file-name pattern other than '.' or '..'";
  for (let i = 0; i < pattern.length; i += 1) {
    if (pattern[i] === '\\') {
      if (i + 1 === pattern.length) return "expected a character after the final '\\'";
      i += 1;
    } else if (pattern[i] === '[') {
      const end = bracketEnd(pattern, i);
      if (end < 0) return `expected ']' to close the '[' at character ${i + 1}`;
      i = end;
    }
  }
  try {
    compileNamePattern(pattern);
  } catch (err) {
    // RegExp messages end with the reason after the compiled source.
    const reason = (err as Error).message.split(': ').pop() ?? '';
    return `expected a valid pattern (${reason.charAt(0).toLowerCase()}${reason.slice(1)})`;
  }
  return null;
}

// Index of the ']' closing the bracket expression at `start`, or -1. A ']'
// first in the expression (after an optional '!' or '^') is a member.
function bracketEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i += 1;
  if (pattern[i] === ']') i += 1;
  for (; i < pattern.length; i += 1) {
    if (pattern[i] === '\\') i += 1;
    else if (pattern[i] === ']') return i;
  }
  return -1;
}

/** Escape '*', '?', '[' and '\' so an exact file name matches only itself. */
export function escapeName(name: string): string {
  return name.replace(/[*?[\\]/g, '\\$&');
}

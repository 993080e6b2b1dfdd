// Problems found in a configuration file and where they are: every finding
// is recorded against a path in the YAML document and later resolved to the
// line and column of the node at that path.
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { SourcePosition } from './types';

/** One step of a path into the document: a mapping key or a list index. */
export type PathSegment = string | number;

/** One error or warning, located in the file. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Where in the document, e.g. `policies[0].security_rules[2].effect`. */
  path: string;
  message: string;
}

/** A finding before it is located: `at: 'key'` points at a mapping key rather than its value. */
export interface Finding {
  path: readonly PathSegment[];
  message: string;
  at?: 'key' | 'value';
  /** The value is incomplete but usable, so checks inside it still report (a missing key). */
  partial?: boolean;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Render a path as `a.b[2].c`; the document root is `(root)`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? '(root)' : text;
}

/** `file:line:column: path: message`, the one format every problem is printed in. */
export function formatProblem(problem: Problem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`;
}

/** Order problems as they appear in the file; equal positions keep their order. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((a, b) => a.problem.line - b.problem.line || a.problem.column - b.problem.column || a.order - b.order)
    .map((entry) => entry.problem);
}

/** Finds the line and column of any path in one parsed YAML document. */
export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document | null,
    private readonly lines: LineCounter | null,
  ) {}

  /** Position of the node at `path`, or of its nearest existing ancestor. */
  position(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): SourcePosition {
    const offset = this.offsetOf(path, at);
    if (this.lines === null || offset === null) return { file: this.file, line: 1, column: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** Turn a finding into a located problem. */
  locate(finding: Finding): Problem {
    const { line, column } = this.position(finding.path, finding.at);
    return { file: this.file, line, column, path: formatPath(finding.path), message: finding.message };
  }

  private offsetOf(path: readonly PathSegment[], at: 'key' | 'value'): number | null {
    let node: unknown = this.doc?.contents ?? null;
    let offset = rangeStart(node);
    for (let i = 0; i < path.length; i += 1) {
      const last = i === path.length - 1;
      const step = childOf(node, path[i]);
      if (step === null) break;
      // A key with no value (`effect:`) has no node of its own: use the key.
      const target = last && at === 'key' ? step.key : step.value ?? step.key;
      const start = rangeStart(target);
      if (start !== null) offset = start;
      node = step.value;
    }
    return offset;
  }
}

interface Step {
  key: unknown;
  value: unknown;
}

function childOf(node: unknown, segment: PathSegment): Step | null {
  if (isSeq(node)) {
    const item = typeof segment === 'number' ? node.items[segment] : undefined;
    return item === undefined ? null : { key: item, value: item };
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(key) === String(segment)) return { key: pair.key, value: pair.value };
    }
  }
  return null;
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : null;
}

/** Collects errors and warnings while a configuration is checked. */
export class Findings {
  readonly errors: Finding[] = [];
  readonly warnings: Finding[] = [];

  /** Record an error: the configuration is rejected. */
  error(path: readonly PathSegment[], message: string, at?: 'key' | 'value'): void {
    this.errors.push({ path, message, at });
  }

  /** Record a warning: the configuration is accepted, but probably not as meant. */
  warn(path: readonly PathSegment[], message: string, at?: 'key' | 'value'): void {
    this.warnings.push({ path, message, at });
  }
}

// File-name patterns of resource and process sets: `*`, `?`, `[...]` and
// backslash escapes, always matched against one whole name (never a '/').

/** A compiled file-name pattern: an exact name, "every name", or a RegExp. */
export type NamePattern =
  | { kind: 'exact'; name: string }
  | { kind: 'any' }
  | { kind: 'glob'; source: string; tokens: GlobToken[]; prefix: string; suffix: string };

/** One position of a pattern: `*`, or a test for exactly one character. */
export type GlobToken = { star: true } | { star: false; test: (ch: string) => boolean };

const STAR: GlobToken = { star: true };

function one(test: (ch: string) => boolean): GlobToken {
  return { star: false, test: (ch) => ch !== '/' && test(ch) };
}

const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\/]/;

function escapeChar(ch: string): string {
  return REGEXP_SPECIAL.test(ch) ? `\\${ch}` : ch;
}

// A bracket expression from `pattern[start]` ('['); returns the RegExp class
// and where it ends, or null when it never closes (then '[' is literal).
function bracket(pattern: string, start: number): { cls: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i += 1;
  }
  let body = '';
  // A ']' right after the opening (or its negation) is a member, as in POSIX.
  if (pattern[i] === ']') {
    body += '\\]';
    i += 1;
  }
  for (; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === ']') return { cls: `[${negate ? '^' : ''}${body}]`, end: i };
    if (ch === '\\' && i + 1 < pattern.length) {
      i += 1;
      body += `\\${pattern[i]}`;
    } else {
      body += ch === '-' ? '-' : escapeChar(ch);
    }
  }
  return null;
}

/** True when the pattern has no wildcard, so it names exactly one file. */
function isLiteral(pattern: string): boolean {
  return !/[*?[\\]/.test(pattern);
}

/** Compile a file-name pattern; `*` and `?` never match '/', and a leading '.' is not special. */
export function compileNamePattern(pattern: string): NamePattern {
  if (pattern === '*') return { kind: 'any' };
  if (isLiteral(pattern)) return { kind: 'exact', name: pattern };
  let source = '';
  const tokens: GlobToken[] = [];
  let literal = '';
  let onlyLiteral = true;
  // Literal text before the first and after the last wildcard: a cheap test
  // that rejects most names before the RegExp runs.
  let prefix: string | null = null;
  let suffix = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === '*' || ch === '?') {
      prefix ??= literal;
      suffix = '';
      onlyLiteral = false;
      source += ch === '*' ? '[^/]*' : '[^/]';
      tokens.push(ch === '*' ? STAR : one(() => true));
      continue;
    }
    if (ch === '[') {
      const cls = bracket(pattern, i);
      if (cls) {
        prefix ??= literal;
        suffix = '';
        onlyLiteral = false;
        source += cls.cls;
        const member = new RegExp(`^${cls.cls}$`);
        tokens.push(one((c) => member.test(c)));
        i = cls.end;
        continue;
      }
    }
    const lit = ch === '\\' && i + 1 < pattern.length ? pattern[++i] : ch;
    literal += lit;
    suffix += lit;
    source += escapeChar(lit);
    tokens.push(one((c) => c === lit));
  }
  // Escapes alone (`a\*b`) still name one file: keep the fast exact lookup.
  if (onlyLiteral) return { kind: 'exact', name: literal };
  // The whole-pattern RegExp is built only to reject what the RegExp engine
  // rejects (a reversed range) with its message; matching uses the tokens,
  // whose cost stays linear in the name times the pattern, whatever the
  // name: a backtracking RegExp over several stars is exponential.
  void new RegExp(`^${source}$`, 's');
  return { kind: 'glob', source: pattern, tokens, prefix: prefix ?? '', suffix };
}

// Wildcard matching that backtracks only to the latest star: O(name x pattern).
function matchTokens(tokens: readonly GlobToken[], name: string): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < name.length) {
    const token = tokens[p];
    if (token !== undefined && !token.star && token.test(name[i])) {
      p += 1;
      i += 1;
    } else if (token !== undefined && token.star) {
      starP = p;
      starI = i;
      p += 1;
    } else if (starP >= 0 && name[starI] !== '/') {
      starI += 1;
      i = starI;
      p = starP + 1;
    } else {
      return false;
    }
  }
  while (p < tokens.length && tokens[p].star) p += 1;
  return p === tokens.length;
}

/** Whether one file name (no '/') matches a compiled pattern. */
export function matchName(pattern: NamePattern, name: string): boolean {
  if (pattern.kind === 'any') return true;
  if (pattern.kind === 'exact') return pattern.name === name;
  return name.startsWith(pattern.prefix) && name.endsWith(pattern.suffix) && matchTokens(pattern.tokens, name);
}

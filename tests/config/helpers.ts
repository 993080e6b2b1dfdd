// Helpers for configuration tests: YAML written inline, checked under a
// fixed file name so expected problems can be spelled out in full.
import { checkConfigText, type CheckResult } from '../../src/config/load';
import { formatProblem } from '../../src/config/problems';

/** The name every inline configuration is checked under. */
export const FILE = '/etc/takakrypt/config.yaml';

/** Strip the indentation of a template literal so YAML can sit inside test code. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, part, i) => out + part + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Check a text and return its problems and warnings as printed lines, file name dropped. */
export function check(text: string): { result: CheckResult; problems: string[]; warnings: string[] } {
  const result = checkConfigText(text, FILE);
  const strip = (line: string) => line.slice(FILE.length + 1);
  return {
    result,
    problems: result.problems.map(formatProblem).map(strip),
    warnings: result.warnings.map(formatProblem).map(strip),
  };
}

/** A valid configuration with one policy and one guard point; tests append to or edit it. */
export const MINIMAL = yaml`
  policies:
    - name: p
      security_rules:
        - action: all_ops
          effect: deny,audit
  guard_points:
    - path: /srv/g
      policy: p
`;

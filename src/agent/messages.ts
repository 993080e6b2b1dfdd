// Turning startup and reload errors into what the administrator reads and
// the exit status the CLI returns.
import { EXIT } from '../cli/exit-codes';
import { formatProblem, Problem } from '../config/problems';
import { isTakakryptError } from '../errors';

function isProblem(value: unknown): value is Problem {
  const p = value as Problem;
  return typeof p === 'object' && p !== null && typeof p.message === 'string' && typeof p.line === 'number';
}

/** The full text of an error: every configuration problem on its own line. */
export function describeStartError(err: unknown): string {
  if (isTakakryptError(err, 'CONFIG_INVALID')) {
    const problems = err.details.problems;
    if (Array.isArray(problems) && problems.length > 0) {
      const lines = problems.map((p: unknown) => (isProblem(p) ? formatProblem(p) : String(p)));
      return [`configuration is invalid (${lines.length} problem${lines.length === 1 ? '' : 's'}):`, ...lines].join('\n');
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** EXIT.CONFIG_INVALID for configuration errors, EXIT.FAILURE otherwise. */
export function exitCodeFor(err: unknown): number {
  return isTakakryptError(err, 'CONFIG_INVALID') ? EXIT.CONFIG_INVALID : EXIT.FAILURE;
}

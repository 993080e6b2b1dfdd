// `takakrypt-agent config validate`: check a configuration file without
// starting anything; print a summary, or every problem with its position.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults';
import { checkConfigFile, type CheckResult } from '../../config/load';
import { formatProblem, type Problem } from '../../config/problems';
import type { Config } from '../../config/types';
import { isTakakryptError } from '../../errors';
import { EXIT } from '../exit-codes';

interface ValidateArgs {
  config: string;
  json?: boolean;
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** The counts `config validate` reports for a valid configuration. */
export function summarise(config: Config): Record<string, number> {
  return {
    guardPoints: config.guardPoints.length,
    policies: config.policies.length,
    securityRules: config.policies.reduce((n, p) => n + p.securityRules.length, 0),
    keyRules: config.policies.reduce((n, p) => n + p.keyRules.length, 0),
    userSets: config.userSets.length,
    processSets: config.processSets.length,
    resourceSets: config.resourceSets.length,
  };
}

function summaryLine(file: string, config: Config, warnings: number): string {
  const s = summarise(config);
  return `${file}: valid: ${plural(s.guardPoints, 'guard point')}, ${plural(s.policies, 'policy', 'policies')} ` +
    `(${plural(s.securityRules, 'security rule')}, ${plural(s.keyRules, 'key rule')}), ${plural(s.userSets, 'user set')}, ` +
    `${plural(s.processSets, 'process set')}, ${plural(s.resourceSets, 'resource set')}; ${plural(warnings, 'warning')}`;
}

function formatWarning(warning: Problem): string {
  return formatProblem({ ...warning, message: `warning: ${warning.message}` });
}

function report(file: string, result: CheckResult, json: boolean): number {
  if (json) {
    const summary = result.config === null ? null : summarise(result.config);
    const out = { file, valid: result.config !== null, summary, problems: result.problems, warnings: result.warnings };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const lines = [...result.problems.map(formatProblem), ...result.warnings.map(formatWarning)];
    if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
    if (result.config !== null) process.stdout.write(`${summaryLine(file, result.config, result.warnings.length)}\n`);
    else {
      const counts = `${plural(result.problems.length, 'problem')}, ${plural(result.warnings.length, 'warning')}`;
      process.stderr.write(`${file}: invalid: ${counts}\n`);
    }
  }
  return result.config === null ? EXIT.CONFIG_INVALID : EXIT.OK;
}

/** Validate one file and print the outcome; returns the exit status. */
export function validateConfig(file: string, json: boolean): number {
  try {
    return report(file, checkConfigFile(file), json);
  } catch (err) {
    if (!isTakakryptError(err, 'CONFIG_UNREADABLE')) throw err;
    process.stderr.write(`takakrypt-agent: ${err.message}\n`);
    return EXIT.FAILURE;
  }
}

const validate: CommandModule<object, ValidateArgs> = {
  command: 'validate',
  describe: 'check the configuration file and report every problem with its line and column',
  builder: (y) => (y as Argv<object>)
    .option('config', { type: 'string', default: DEFAULT_CONFIG_FILE, describe: 'configuration file' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' }) as Argv<ValidateArgs>,
  handler: (args) => {
    process.exitCode = validateConfig(args.config, args.json === true);
  },
};

/** The `config` command group. */
export const configCommand: CommandModule<object, object> = {
  command: 'config',
  describe: 'work with the configuration file',
  builder: (y) => y.command(validate).demandCommand(1, 'Expected a config command: validate.'),
  handler: () => undefined,
};

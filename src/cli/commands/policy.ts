// `takakrypt-agent policy check`: what would the agent decide for this user,
// executable, path and action, which rule decides, and (--explain) why each
// earlier rule did not match. Exit 0 for permit, EXIT.DENIED for deny.
import type { Argv, CommandModule } from 'yargs';
import { createExeHasher } from '../../agent/exe-hash';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults';
import { checkConfigFile } from '../../config/load';
import { formatProblem, type Problem } from '../../config/problems';
import { createError, isTakakryptError, type TakakryptError } from '../../errors';
import { compilePolicy } from '../../policy/compile';
import { buildCheckRequest } from '../../policy/check-request';
import { explainDecision } from '../../policy/explain';
import { GetentResolver } from '../../policy/resolver';
import { where } from '../../policy/warnings';
import { EXIT } from '../exit-codes';
import { formatCheck, type CheckReport } from '../policy-format';

interface CheckArgs {
  config: string;
  user: string;
  group?: string[];
  exe: string;
  path: string;
  action: string;
  dir?: boolean;
  json?: boolean;
  explain?: boolean;
}

const USAGE_CODES = new Set(['POLICY_ARGUMENT_INVALID', 'POLICY_USER_UNKNOWN', 'POLICY_GROUP_UNKNOWN', 'POLICY_GUARD_POINT_NOT_FOUND']);
const CONFIG_CODES = new Set(['CONFIG_INVALID', 'POLICY_SET_UNKNOWN', 'POLICY_UNKNOWN', 'POLICY_EFFECT_CONFLICT', 'POLICY_PATTERN_INVALID']);

async function check(args: CheckArgs): Promise<CheckReport> {
  const checked = checkConfigFile(args.config);
  if (checked.config === null) {
    throw createError('CONFIG_INVALID', `expected a valid configuration in ${args.config}`, { problems: checked.problems });
  }
  const config = checked.config;
  const resolver = new GetentResolver();
  const compiled = compilePolicy(config, resolver);
  const input = { user: args.user, groups: args.group, exe: args.exe, path: args.path, action: args.action, isDirectory: args.dir === true };
  const request = await buildCheckRequest(compiled, input, resolver, (exe) => createExeHasher().sha256(exe));
  const { decision, rules } = explainDecision(compiled, request);
  const policy = compiled.guardPoints.get(request.guardPoint);
  const rule = decision.ruleIndex === null ? null : policy?.rules.find((r) => r.index === decision.ruleIndex)?.source ?? null;
  const warnings = [
    ...checked.warnings.map((w) => ({ code: null, at: `${w.file}:${w.line}:${w.column}`, message: w.message })),
    ...compiled.warnings.map((w) => ({ code: w.code, at: where(w.position), message: w.message })),
  ];
  return { request, decision, rule, explain: args.explain ? rules : null, warnings };
}

function exitFor(err: TakakryptError): number {
  if (USAGE_CODES.has(err.code)) return EXIT.USAGE;
  if (CONFIG_CODES.has(err.code)) return EXIT.CONFIG_INVALID;
  return EXIT.FAILURE;
}

/** Run the check and print it; returns the exit status. */
export async function runPolicyCheck(args: CheckArgs): Promise<number> {
  try {
    const report = await check(args);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheck(report));
    if (!args.json) for (const w of report.warnings) process.stderr.write(`${w.at}: warning: ${w.message}\n`);
    return report.decision.permit ? EXIT.OK : EXIT.DENIED;
  } catch (err) {
    if (!isTakakryptError(err)) throw err;
    const problems = (err.details.problems ?? []) as Problem[];
    const lines = problems.length > 0 ? problems.map(formatProblem) : [err.message];
    process.stderr.write(lines.map((l) => `takakrypt-agent: ${l}\n`).join(''));
    return exitFor(err);
  }
}

const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'decide one access as the agent would and show the deciding rule',
  builder: (y) => (y as Argv<object>)
    .option('config', { type: 'string', default: DEFAULT_CONFIG_FILE, describe: 'configuration file' })
    .option('user', { type: 'string', demandOption: true, describe: 'user name or uid' })
    .option('group', { type: 'string', array: true, describe: 'group name or gid (repeatable); replaces the user\'s groups, the first is primary' })
    .option('exe', { type: 'string', demandOption: true, describe: 'absolute path of the executable' })
    .option('path', { type: 'string', demandOption: true, describe: 'absolute path inside a guard point' })
    .option('action', { type: 'string', demandOption: true, describe: 'fine-grained action, e.g. f_rd, f_wr, d_rd' })
    .option('dir', { type: 'boolean', default: false, describe: 'the path is a directory' })
    .option('json', { type: 'boolean', default: false, describe: 'print a JSON object on stdout' })
    .option('explain', { type: 'boolean', default: false, describe: 'say for each earlier rule why it did not match' }) as Argv<CheckArgs>,
  handler: async (args) => {
    process.exitCode = await runPolicyCheck(args);
  },
};

/** `policy <subcommand>`. */
export const policyCommand: CommandModule = {
  command: 'policy <command>',
  describe: 'inspect how the policy decides',
  builder: (y) => y.command(checkCommand).demandCommand(1, 'Expected a policy subcommand; run with --help to list them.'),
  handler: () => undefined,
};

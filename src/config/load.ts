// The configuration loader: YAML text -> schema -> normalisation -> cross
// checks, every problem collected with its line and column before anything
// is rejected.
import Ajv from 'ajv';
import { createError } from '../errors';
import type { Logger } from '../log/logger';
import { checkGuardPoints } from './check-guard-points';
import { checkNames } from './check-names';
import { checkShadowedRules } from './check-shadowed';
import { normaliseConfig } from './normalise';
import { parseYaml } from './parse-yaml';
import { Findings, formatPath, formatProblem, sortProblems, type Finding, type Problem } from './problems';
import { readConfigText } from './read-file';
import schema from './schema.json';
import { schemaFindings } from './schema-errors';
import type { Config } from './types';

export { MAX_CONFIG_BYTES } from './read-file';

/** The outcome of checking one configuration text. */
export interface CheckResult {
  /** The normalised configuration; null when there is any problem. */
  config: Config | null;
  problems: Problem[];
  warnings: Problem[];
}

// `unit` is an annotation of the schema, used only in messages.
const validate = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true })
  .addVocabulary(['unit'])
  .compile(schema);

/** Check a configuration text; `file` names it in every problem and anchors the config directory. */
export function checkConfigText(text: string, file: string): CheckResult {
  const { raw, source, problems: yamlProblems, warnings: yamlWarnings } = parseYaml(text, file);
  if (yamlProblems.length > 0) return { config: null, problems: yamlProblems, warnings: yamlWarnings };
  if (raw === null || raw === undefined) {
    const empty = { path: [], message: 'expected a mapping with guard_points, policies and sets, got an empty document' };
    return { config: null, problems: [source.locate(empty)], warnings: yamlWarnings };
  }
  const schemaErrors = validate(raw) ? [] : schemaFindings(validate.errors ?? []);
  const findings = new Findings();
  const config = normaliseConfig(raw, file, { source, findings });
  checkNames(config, findings);
  checkGuardPoints(config, file, findings);
  checkShadowedRules(config, findings);

  const errors = [...schemaErrors, ...withoutCascades(findings.errors, schemaErrors)];
  const problems = sortProblems(errors.map((f) => source.locate(f)));
  const warnings = [...yamlWarnings, ...sortProblems(findings.warnings.map((f) => source.locate(f)))];
  return { config: problems.length === 0 ? config : null, problems, warnings };
}

// A value the schema rejected is not reported a second time by later
// checks: drop findings at or below any path the schema reported.
function withoutCascades(findings: Finding[], schemaErrors: Finding[]): Finding[] {
  const rejected = new Set(schemaErrors.filter((f) => f.partial !== true).map((f) => formatPath(f.path)));
  return findings.filter((f) => !f.path.some((_, i) => rejected.has(formatPath(f.path.slice(0, i + 1)))));
}

/** Read and check a configuration file; throws CONFIG_UNREADABLE when it cannot be read. */
export function checkConfigFile(file: string): CheckResult {
  const { text, mode } = readConfigText(file);
  const result = checkConfigText(text, file);
  // The file decides who sees plaintext: anyone who may change it may grant themselves access.
  if ((mode & 0o022) !== 0) {
    const found = `0${mode.toString(8)}`;
    const message = `expected a file only its owner may change (mode 0644 or stricter), got mode ${found}`;
    result.warnings.unshift({ file, line: 1, column: 1, path: '(file)', message });
  }
  return result;
}

/** Load a configuration: the normalised Config, or CONFIG_INVALID listing every problem. */
export function loadConfig(file: string, logger?: Logger): Config {
  const result = checkConfigFile(file);
  for (const warning of result.warnings) {
    logger?.warn({ at: formatProblem(warning), message: 'configuration warning' });
  }
  if (result.config === null) {
    const count = result.problems.length;
    const first = formatProblem(result.problems[0]);
    throw createError('CONFIG_INVALID', `expected a valid configuration, got ${count} problem(s), the first: ${first}`, {
      problems: result.problems,
      warnings: result.warnings,
    });
  }
  return result.config;
}

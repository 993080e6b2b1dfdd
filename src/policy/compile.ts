// compilePolicy(): turns the configuration's policies into the indexed form
// decide() evaluates. Sets are compiled and indexed once and shared.
import type { Config, FineAction, Policy, SecurityRule, SourcePosition } from '../config/types';
import { createError } from '../errors';
import type { Logger } from '../log/logger';
import { BROWSING_ACTIONS, expandActions, FINE_ACTIONS } from './actions';
import type { CompiledConfig, CompiledKeyRule, CompiledPolicy, CompiledRule } from './compiled';
import { SetMarks } from './marks';
import { normalisePath } from './paths';
import { compileProcessSet, type CompiledProcessSet } from './process-set';
import { compileResourceSet, type CompiledResourceSet } from './resource-set';
import type { NssResolver } from './resolver';
import { buildSetIndex } from './set-index';
import { compileUserSet, type CompiledUserSet } from './user-set';
import { where, type CompileWarning, type WarningSink } from './warnings';

interface SetTable<T> {
  list: T[];
  ids: Map<string, number>;
}

interface SetTables {
  users: SetTable<CompiledUserSet>;
  processes: SetTable<CompiledProcessSet>;
  resources: SetTable<CompiledResourceSet>;
}

function table<T extends { name: string }>(list: T[]): SetTable<T> {
  return { list, ids: new Map(list.map((set, id) => [set.name, id])) };
}

function compileSets(config: Config, resolver: NssResolver, warn: WarningSink): SetTables {
  const guarded = <T>(kind: string, name: string, position: SourcePosition, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      throw createError('POLICY_PATTERN_INVALID', `${where(position)}: ${kind} set ${name}: expected valid file patterns, got: ${(err as Error).message}`);
    }
  };
  return {
    users: table(config.userSets.map((s) => compileUserSet(s, resolver, warn))),
    processes: table(config.processSets.map((s) => guarded('process', s.name, s.position, () => compileProcessSet(s)))),
    resources: table(config.resourceSets.map((s) => guarded('resource', s.name, s.position, () => compileResourceSet(s)))),
  };
}

// The set's id, or -1 when the rule names none or an empty one: an empty
// set imposes no restriction, exactly like an absent one.
function lookupSet<T extends { empty: boolean }>(
  sets: SetTable<T>, kind: string, name: string | null, position: SourcePosition,
): number {
  if (name === null) return -1;
  const id = setId(sets, kind, name, position);
  return sets.list[id].empty ? -1 : id;
}

function setId<T>(sets: SetTable<T>, kind: string, name: string, position: SourcePosition): number {
  const id = sets.ids.get(name);
  if (id === undefined) {
    throw createError('POLICY_SET_UNKNOWN', `${where(position)}: expected a defined ${kind} set, got ${JSON.stringify(name)}`);
  }
  return id;
}

function effectFlags(rule: SecurityRule, policy: string, warn: WarningSink): { permit: boolean; applyKey: boolean; audit: boolean } {
  const has = (effect: string) => (rule.effects as string[]).includes(effect);
  if (has('permit') && has('deny')) {
    throw createError('POLICY_EFFECT_CONFLICT', `${where(rule.position)}: policy ${policy} rule ${rule.index}: expected permit or deny, got both`);
  }
  if (!has('permit') && !has('deny')) {
    warn({ code: 'POLICY_EFFECT_DEFAULTED', message: `policy ${policy} rule ${rule.index}: expected permit or deny, got neither; the rule denies`, position: rule.position });
  }
  return { permit: has('permit'), applyKey: has('applykey'), audit: has('audit') };
}

function compileRule(rule: SecurityRule, policy: string, sets: SetTables, warn: WarningSink): CompiledRule {
  const pick = <T extends { empty: boolean }>(t: SetTable<T>, kind: string, name: string | null, exclude: boolean) => {
    const id = lookupSet(t, kind, name, rule.position);
    if (exclude && id < 0) {
      warn({ code: 'POLICY_EXCLUDE_WITHOUT_SET', message: `policy ${policy} rule ${rule.index}: exclude needs a non-empty ${kind} set, got ${name === null ? 'none' : `empty set ${name}`}; the flag is ignored`, position: rule.position });
    }
    return { id, exclude: exclude && id >= 0 };
  };
  const user = pick(sets.users, 'user', rule.userSet, rule.excludeUserSet);
  const proc = pick(sets.processes, 'process', rule.processSet, rule.excludeProcessSet);
  const res = pick(sets.resources, 'resource', rule.resourceSet, rule.excludeResourceSet);
  return {
    index: rule.index,
    userSet: user.id, excludeUserSet: user.exclude,
    processSet: proc.id, excludeProcessSet: proc.exclude,
    resourceSet: res.id, excludeResourceSet: res.exclude,
    actions: expandActions(rule.actions),
    browsing: rule.browsing,
    ...effectFlags(rule, policy, warn),
    effectText: rule.effects.join(','),
    source: rule,
  };
}

function indexByAction(rules: CompiledRule[]): Map<FineAction, CompiledRule[]> {
  const byAction = new Map<FineAction, CompiledRule[]>();
  for (const action of FINE_ACTIONS) {
    const browsable = BROWSING_ACTIONS.includes(action);
    byAction.set(action, rules.filter((r) => r.actions.has(action) || (browsable && r.browsing)));
  }
  return byAction;
}

function compileOne(policy: Policy, sets: SetTables, warn: WarningSink): CompiledPolicy {
  const byIndex = <T extends { index: number }>(list: readonly T[]) => [...list].sort((a, b) => a.index - b.index);
  const rules = byIndex(policy.securityRules).map((r) => compileRule(r, policy.name, sets, warn));
  const keyRules: CompiledKeyRule[] = byIndex(policy.keyRules).map((k) => ({
    index: k.index,
    // A key rule's empty resource set matches nothing; only an absent one covers every resource.
    resourceSet: k.resourceSet === null ? -1 : setId(sets.resources, 'resource', k.resourceSet, k.position),
    key: k.key === 'clear_key' ? null : k.key,
  }));
  const needsExeSha256 = rules.some((r) => r.processSet >= 0 && sets.processes.list[r.processSet].needsSha256);
  return { name: policy.name, learnMode: policy.learnMode, rules, rulesByAction: indexByAction(rules), keyRules, needsExeSha256 };
}

/** Options of compilePolicy(); warnings are also returned in the result. */
export interface CompileOptions {
  logger?: Logger;
}

/** Compile every policy of `config` once; throws POLICY_* errors for references that cannot work. */
export function compilePolicy(config: Config, resolver: NssResolver, options: CompileOptions = {}): CompiledConfig {
  const warnings: CompileWarning[] = [];
  const warn: WarningSink = (w) => {
    warnings.push(w);
    options.logger?.warn({ code: w.code, at: where(w.position), detail: w.message, message: 'policy compile warning' });
  };
  const sets = compileSets(config, resolver, warn);
  const policies = new Map(config.policies.map((p) => [p.name, compileOne(p, sets, warn)]));
  const guardPoints = new Map<string, CompiledPolicy>();
  for (const gp of config.guardPoints) {
    const policy = policies.get(gp.policy);
    if (!policy) {
      throw createError('POLICY_UNKNOWN', `${where(gp.position)}: guard point ${gp.path}: expected a defined policy, got ${JSON.stringify(gp.policy)}`);
    }
    guardPoints.set(normalisePath(gp.path), policy);
  }
  const index = buildSetIndex(sets.users.list, sets.processes.list, sets.resources.list);
  const needsExeSha256 = [...guardPoints.values()].some((p) => p.needsExeSha256);
  return { policies, guardPoints, warnings, index, marks: new SetMarks(index.counts), needsExeSha256 };
}

// Names across the configuration: each set, policy and guard point defined
// once, and every reference pointing at something that is defined.
import type { Findings, PathSegment } from './problems';
import type { Config, Policy } from './types';

interface Named {
  name: string;
  position: { line: number };
}

/** Report duplicate names and references to undefined sets and policies. */
export function checkNames(config: Config, findings: Findings): void {
  checkUnique(config.userSets, 'user_sets', 'user set', findings);
  checkUnique(config.processSets, 'process_sets', 'process set', findings);
  checkUnique(config.resourceSets, 'resource_sets', 'resource set', findings);
  checkUnique(config.policies, 'policies', 'policy', findings);
  const guardPoints = config.guardPoints.map((gp) => ({ name: gp.path, position: gp.position }));
  checkUnique(guardPoints, 'guard_points', 'guard point', findings, 'path');

  const known = {
    resource_set: names(config.resourceSets),
    user_set: names(config.userSets),
    process_set: names(config.processSets),
  };
  config.policies.forEach((policy, p) => checkPolicyReferences(policy, ['policies', p], known, findings));
  const policies = names(config.policies);
  config.guardPoints.forEach((gp, i) => {
    if (gp.policy !== '') checkReference(gp.policy, policies, 'policy', ['guard_points', i, 'policy'], findings);
  });
}

function names(items: readonly Named[]): Set<string> {
  return new Set(items.map((item) => item.name).filter((name) => name !== ''));
}

function checkUnique(
  items: readonly Named[], section: string, what: string, findings: Findings, key = 'name',
): void {
  const first = new Map<string, Named>();
  items.forEach((item, i) => {
    if (item.name === '') return;
    const earlier = first.get(item.name);
    if (earlier === undefined) first.set(item.name, item);
    else {
      findings.error(
        [section, i, key],
        `expected each ${what} once, got ${JSON.stringify(item.name)} again (first at line ${earlier.position.line})`,
      );
    }
  });
}

type Known = Record<'resource_set' | 'user_set' | 'process_set', Set<string>>;

function checkPolicyReferences(policy: Policy, path: PathSegment[], known: Known, findings: Findings): void {
  for (const rule of policy.securityRules) {
    const rulePath = [...path, 'security_rules', rule.index];
    const refs = { resource_set: rule.resourceSet, user_set: rule.userSet, process_set: rule.processSet };
    for (const kind of ['resource_set', 'user_set', 'process_set'] as const) {
      const name = refs[kind];
      if (name !== null) checkReference(name, known[kind], kind.replace('_', ' '), [...rulePath, kind], findings);
    }
  }
  for (const rule of policy.keyRules) {
    if (rule.resourceSet !== null) {
      const at = [...path, 'key_rules', rule.index, 'resource_set'];
      checkReference(rule.resourceSet, known.resource_set, 'resource set', at, findings);
    }
  }
  checkKeyRuleOrder(policy, path, findings);
}

function checkReference(name: string, known: Set<string>, what: string, path: PathSegment[], findings: Findings): void {
  if (known.has(name)) return;
  const expected = known.size === 0 ? `no ${what} is defined` : `expected one of ${[...known].join(', ')}`;
  findings.error(path, `unknown ${what} ${JSON.stringify(name)}; ${expected}`);
}

// The first key rule whose resource set matches names the key, so a later
// rule for the same set, or any rule after one without a set, never applies.
function checkKeyRuleOrder(policy: Policy, path: PathSegment[], findings: Findings): void {
  const seen = new Map<string | null, number>();
  for (const rule of policy.keyRules) {
    const catchAll = seen.get(null);
    const same = seen.get(rule.resourceSet);
    const earlier = catchAll ?? same;
    if (earlier !== undefined) {
      const why = catchAll !== undefined ? 'has no resource set, so it covers every file' : 'names the same resource set';
      findings.warn([...path, 'key_rules', rule.index], `key rule never applies: key_rules[${earlier}] ${why}`);
    } else {
      seen.set(rule.resourceSet, rule.index);
    }
  }
}

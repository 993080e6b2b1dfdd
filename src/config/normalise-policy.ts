// Policies: security rules (actions, effects, sets and their exclusions)
// and key rules, normalised with their field-level problems recorded.
import { COARSE_ACTIONS, FINE_ACTIONS, isCoarseAction, isFineAction } from '../policy/actions';
import { RULE_DEFAULTS } from './defaults';
import { flag, list, mapping, optionalText, text } from './fields';
import type { NormaliseContext } from './normalise';
import type { PathSegment } from './problems';
import type { Action, Effect, KeyRule, Policy, SecurityRule } from './types';

/** Every effect a security rule may carry. */
export const EFFECTS: readonly Effect[] = ['permit', 'deny', 'audit', 'applykey'];

const ACTION_NAMES = [...Object.keys(COARSE_ACTIONS), ...FINE_ACTIONS].join(', ');

/** Normalise one policy with its security rules and key rules. */
export function normalisePolicy(policy: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): Policy {
  const learnMode = flag(policy.learn_mode, RULE_DEFAULTS.learnMode);
  const rules = list(policy.security_rules);
  if (Array.isArray(policy.security_rules) && rules.length === 0) {
    ctx.findings.warn([...path, 'security_rules'], 'expected at least one security rule, got none: every access will be denied');
  }
  return {
    name: text(policy.name, ''),
    learnMode,
    securityRules: rules.map((rule, i) =>
      normaliseRule(mapping(rule), i, [...path, 'security_rules', i], learnMode, ctx),
    ),
    keyRules: list(policy.key_rules).map((rule, i) => normaliseKeyRule(mapping(rule), i, [...path, 'key_rules', i], ctx)),
    position: ctx.source.position(path),
  };
}

function normaliseRule(
  rule: Record<string, unknown>, index: number, path: PathSegment[], learnMode: boolean, ctx: NormaliseContext,
): SecurityRule {
  const normal: SecurityRule = {
    index,
    resourceSet: optionalText(rule.resource_set),
    userSet: optionalText(rule.user_set),
    processSet: optionalText(rule.process_set),
    excludeResourceSet: flag(rule.exclude_resource_set, RULE_DEFAULTS.exclude),
    excludeUserSet: flag(rule.exclude_user_set, RULE_DEFAULTS.exclude),
    excludeProcessSet: flag(rule.exclude_process_set, RULE_DEFAULTS.exclude),
    actions: parseActions(rule.action, [...path, 'action'], ctx),
    effects: parseEffects(rule.effect, [...path, 'effect'], learnMode, ctx),
    browsing: flag(rule.browsing, RULE_DEFAULTS.browsing),
    position: ctx.source.position(path),
  };
  for (const kind of ['resource_set', 'user_set', 'process_set']) {
    if (rule[`exclude_${kind}`] === true && typeof rule[kind] !== 'string') {
      ctx.findings.error([...path, `exclude_${kind}`], `expected a ${kind} to exclude, got exclude_${kind}: true without one`);
    }
  }
  return normal;
}

interface Word {
  word: string;
  path: PathSegment[];
}

// `read,write` or [read, write]: each word with the path it is reported at.
function splitWords(value: unknown, path: PathSegment[]): Word[] {
  if (typeof value === 'string') return value.split(',').map((word) => ({ word: word.trim(), path }));
  return list(value).flatMap((item, i) => (typeof item === 'string' ? [{ word: item.trim(), path: [...path, i] }] : []));
}

function parseActions(value: unknown, path: PathSegment[], ctx: NormaliseContext): Action[] {
  const actions = new Set<Action>();
  for (const { word, path: at } of splitWords(value, path)) {
    if (isCoarseAction(word) || isFineAction(word)) actions.add(word);
    else ctx.findings.error(at, unknownWord('action', word, value, ACTION_NAMES));
  }
  return [...actions];
}

function parseEffects(value: unknown, path: PathSegment[], learnMode: boolean, ctx: NormaliseContext): Effect[] {
  const effects = new Set<Effect>();
  let unknown = false;
  for (const { word, path: at } of splitWords(value, path)) {
    if ((EFFECTS as readonly string[]).includes(word)) effects.add(word as Effect);
    else {
      unknown = true;
      ctx.findings.error(at, unknownWord('effect', word, value, EFFECTS.join(', ')));
    }
  }
  const permit = effects.has('permit');
  const deny = effects.has('deny');
  if (permit && deny) {
    ctx.findings.error(path, `expected exactly one of permit or deny, got both in ${describeWords(value)}`);
  } else if (!permit && !deny && !unknown && value !== undefined) {
    ctx.findings.error(path, `expected exactly one of permit or deny, got neither in ${describeWords(value)}`);
  } else if (deny && effects.has('applykey') && !learnMode) {
    ctx.findings.warn(path, 'applykey has no effect together with deny outside learn mode');
  }
  return [...effects];
}

function unknownWord(kind: string, word: string, value: unknown, valid: string): string {
  if (word === '') return `expected an ${kind} name, got an empty entry in ${describeWords(value)}`;
  return `unknown ${kind} ${JSON.stringify(word)}; expected one of ${valid}`;
}

function describeWords(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `[${list(value).map(String).join(', ')}]`;
}

function normaliseKeyRule(rule: Record<string, unknown>, index: number, path: PathSegment[], ctx: NormaliseContext): KeyRule {
  return {
    index,
    resourceSet: optionalText(rule.resource_set),
    key: text(rule.key, ''),
    position: ctx.source.position(path),
  };
}

// decide(): the first security rule whose sets all match and whose actions
// cover the operation decides; no match denies. The same compiled policy
// and request always give the same decision.
import type { FineAction } from '../config/types';
import { BROWSING_ACTIONS } from './actions';
import type { CompiledConfig, CompiledPolicy, CompiledRule } from './compiled';
import { markProcess, markResource, markUser, type SetMarks } from './marks';
import { normalisePath, splitPath, type SplitPath } from './paths';
import type { PolicyDecision, PolicyRequest } from './types';

const BROWSING = new Set<FineAction>(BROWSING_ACTIONS);

/** The request's paths split once, and its sets marked, for one generation of the marks. */
export interface PreparedRequest {
  target: SplitPath;
  /** null when the kernel gave no (or a relative) executable path. */
  exe: SplitPath | null;
  marks: SetMarks;
  generation: number;
}

/** Why a rule did not match (or that it did); the order is the order of the checks. */
export enum RuleCheck {
  Match = 0,
  User = 1,
  Process = 2,
  Signature = 3,
  Resource = 4,
}

/** Split the request's path and executable and mark the sets that hold them. */
export function prepareRequest(compiled: CompiledConfig, request: PolicyRequest): PreparedRequest {
  const exe = request.exe.startsWith('/') ? splitPath(normalisePath(request.exe)) : null;
  const target = splitPath(normalisePath(request.path));
  const { index, marks } = compiled;
  const generation = marks.next();
  markUser(index, marks, generation, request.uid, request.gid, request.groups);
  markProcess(index, marks, generation, exe, request.exeSha256);
  markResource(index, marks, generation, target, request.isDirectory);
  return { target, exe, marks, generation };
}

/** Check a rule's sets against a prepared request (its actions are checked by the caller). */
export function checkRule(rule: CompiledRule, prepared: PreparedRequest): RuleCheck {
  const { marks, generation: gen } = prepared;
  if (rule.userSet >= 0 && (marks.user[rule.userSet] === gen) === rule.excludeUserSet) return RuleCheck.User;
  if (rule.processSet >= 0) {
    const listed = marks.process[rule.processSet] === gen;
    if (listed === rule.excludeProcessSet) {
      return !listed && !rule.excludeProcessSet && marks.signature[rule.processSet] === gen ? RuleCheck.Signature : RuleCheck.Process;
    }
  }
  if (rule.resourceSet >= 0 && (marks.resource[rule.resourceSet] === gen) === rule.excludeResourceSet) return RuleCheck.Resource;
  return RuleCheck.Match;
}

/** The first key rule whose resource set holds the path names the key; null = not encrypted. */
export function keyFor(policy: CompiledPolicy, prepared: PreparedRequest): string | null {
  for (const rule of policy.keyRules) {
    if (rule.resourceSet < 0 || prepared.marks.resource[rule.resourceSet] === prepared.generation) return rule.key;
  }
  return null;
}

/** The deciding rule for a request, or null when none matches. */
export function findRule(policy: CompiledPolicy, action: FineAction, prepared: PreparedRequest): CompiledRule | null {
  const candidates = policy.rulesByAction.get(action);
  if (candidates === undefined) return null;
  // The same test as checkRule(), without telling the reasons apart: this
  // loop runs for every rule of every request.
  const { marks: { user, process, resource }, generation: gen } = prepared;
  for (const rule of candidates) {
    if (rule.userSet >= 0 && (user[rule.userSet] === gen) === rule.excludeUserSet) continue;
    if (rule.processSet >= 0 && (process[rule.processSet] === gen) === rule.excludeProcessSet) continue;
    if (rule.resourceSet >= 0 && (resource[rule.resourceSet] === gen) === rule.excludeResourceSet) continue;
    return rule;
  }
  return null;
}

function refusal(policy: CompiledPolicy, rule: CompiledRule | null, action: FineAction, keyName: string | null): PolicyDecision {
  const what = rule === null
    ? `no security rule matched ${action}`
    : `security rule ${rule.index} (${rule.effectText}) denied ${action}`;
  const learn = policy.learnMode;
  return {
    permit: learn,
    // applykey on a deny only means something when learn mode lets the access through.
    applyKey: learn && rule !== null && rule.applyKey && keyName !== null,
    audit: true,
    ruleIndex: rule === null ? null : rule.index,
    policy: policy.name,
    keyName,
    learnMode: learn,
    reason: learn ? `${what}; learn mode permitted it` : rule === null ? `${what}; denied by default` : what,
  };
}

function permitted(policy: CompiledPolicy, rule: CompiledRule, applyKey: boolean, keyName: string | null, reason: string): PolicyDecision {
  return { permit: true, applyKey, audit: rule.audit, ruleIndex: rule.index, policy: policy.name, keyName, learnMode: false, reason };
}

function outcome(policy: CompiledPolicy, rule: CompiledRule | null, action: FineAction, keyName: string | null): PolicyDecision {
  if (rule === null) return refusal(policy, null, action, keyName);
  if (rule.permit && rule.actions.has(action)) {
    return permitted(policy, rule, rule.applyKey && keyName !== null, keyName, `security rule ${rule.index} (${rule.effectText}) permitted ${action}`);
  }
  if (rule.browsing && BROWSING.has(action)) {
    return permitted(policy, rule, false, keyName, `security rule ${rule.index} (${rule.effectText}) allows browsing: ${action} permitted without contents`);
  }
  return refusal(policy, rule, action, keyName);
}

/**
 * Whether `decision` would be the same for any object of the guard point:
 * every rule looked at before the deciding one failed on its user or
 * process set (or had no resource set), the deciding rule has no resource
 * set, and, when that rule applies a key, the first key rule has no
 * resource set either (the key, hence applykey, is the same everywhere). Learn-mode and audited decisions are never reused, so they say no.
 */
function anyObject(policy: CompiledPolicy, action: FineAction, prepared: PreparedRequest, rule: CompiledRule | null, decision: PolicyDecision): boolean {
  if (policy.learnMode || decision.audit) return false;
  const { marks: { user, process }, generation: gen } = prepared;
  for (const candidate of policy.rulesByAction.get(action) ?? []) {
    const sameWho = (candidate.userSet < 0 || (user[candidate.userSet] === gen) !== candidate.excludeUserSet) &&
      (candidate.processSet < 0 || (process[candidate.processSet] === gen) !== candidate.excludeProcessSet);
    if (sameWho && candidate.resourceSet >= 0) return false;
    if (candidate === rule) break;
  }
  if (rule?.applyKey === true) {
    const first = policy.keyRules[0];
    if (first !== undefined && first.resourceSet >= 0) return false;
  }
  return true;
}

/** Decide one request against the compiled configuration. */
export function decide(compiled: CompiledConfig, request: PolicyRequest): PolicyDecision {
  const policy = compiled.guardPoints.get(request.guardPoint);
  if (policy === undefined) {
    return {
      permit: false, applyKey: false, audit: true, ruleIndex: null, policy: '', keyName: null, learnMode: false,
      reason: `expected a configured guard point, got ${request.guardPoint}; denied`,
    };
  }
  const prepared = prepareRequest(compiled, request);
  const rule = findRule(policy, request.action, prepared);
  const decision = outcome(policy, rule, request.action, keyFor(policy, prepared));
  decision.anyObject = anyObject(policy, request.action, prepared, rule, decision);
  return decision;
}

/** The policy serving a guard point and the key its key rules name for a path. */
export interface KeyChoice {
  /** Policy name; null when neither the guard point nor `policyName` is configured. */
  policy: string | null;
  /** Key name; null when the key rules say clear_key or none matches. */
  keyName: string | null;
}

/**
 * The key rules' answer for a file at `path` inside `guardPoint`. The
 * configuration's guard point entry decides the policy; `policyName` (the
 * mount's policy= option) is the fallback for a guard point mounted by hand.
 */
export function keyChoiceFor(compiled: CompiledConfig, guardPoint: string, policyName: string, path: string): KeyChoice {
  const policy = compiled.guardPoints.get(guardPoint) ?? compiled.policies.get(policyName);
  if (policy === undefined) return { policy: null, keyName: null };
  const target = splitPath(normalisePath(path));
  const { index, marks } = compiled;
  const generation = marks.next();
  markResource(index, marks, generation, target, false);
  return { policy: policy.name, keyName: keyFor(policy, { target, exe: null, marks, generation }) };
}

/**
 * The key every new file of this guard point gets whatever its path: the
 * policy's first key rule covers all resources and names a key. Null when
 * the choice depends on the path, or no file gets a key.
 */
export function pathFreeKeyChoice(compiled: CompiledConfig, guardPoint: string, policyName: string): KeyChoice | null {
  const policy = compiled.guardPoints.get(guardPoint) ?? compiled.policies.get(policyName);
  const first = policy?.keyRules[0];
  if (policy === undefined || first === undefined || first.resourceSet >= 0 || first.key === null) return null;
  return { policy: policy.name, keyName: first.key };
}

// Why each security rule before the deciding one did not match: for
// `policy check --explain`. Uses the same checks as decide().
import { BROWSING_ACTIONS } from './actions';
import type { CompiledConfig, CompiledRule } from './compiled';
import { checkRule, decide, prepareRequest, RuleCheck, type PreparedRequest } from './decide';
import type { PolicyDecision, PolicyRequest } from './types';

/** One rule's verdict for a request. */
export interface RuleExplanation {
  index: number;
  matched: boolean;
  why: string;
}

function setText(kind: string, name: string | null, exclude: boolean): string {
  return `${exclude ? 'excluded ' : ''}${kind} set ${name ?? '(any)'}`;
}

function mismatch(rule: CompiledRule, request: PolicyRequest, check: RuleCheck): string {
  const groups = [request.gid, ...request.groups.filter((g) => g !== request.gid)].join(',');
  switch (check) {
    case RuleCheck.User:
      return `${setText('user', rule.source.userSet, rule.excludeUserSet)} ${rule.excludeUserSet ? 'contains' : 'does not contain'} uid ${request.uid} or gids ${groups}`;
    case RuleCheck.Signature:
      return `process set ${rule.source.processSet} lists ${request.exe} only with a SHA-256 the binary does not have (${request.exeSha256 === null ? 'unreadable' : request.exeSha256 ?? 'not computed'})`;
    case RuleCheck.Process:
      return `${setText('process', rule.source.processSet, rule.excludeProcessSet)} ${rule.excludeProcessSet ? 'contains' : 'does not contain'} ${request.exe || '(no executable)'}`;
    default:
      return `${setText('resource', rule.source.resourceSet, rule.excludeResourceSet)} ${rule.excludeResourceSet ? 'contains' : 'does not contain'} ${request.path}${request.isDirectory ? ' (directory)' : ''}`;
  }
}

function explainRule(rule: CompiledRule, request: PolicyRequest, prepared: PreparedRequest): RuleExplanation {
  const browsable = rule.browsing && BROWSING_ACTIONS.includes(request.action);
  if (!rule.actions.has(request.action) && !browsable) {
    const written = rule.source.actions.join(',') || '(none)';
    return { index: rule.index, matched: false, why: `actions ${written} do not cover ${request.action}` };
  }
  const check = checkRule(rule, prepared);
  if (check === RuleCheck.Match) return { index: rule.index, matched: true, why: 'every set matches' };
  return { index: rule.index, matched: false, why: mismatch(rule, request, check) };
}

/** The decision plus, for every rule up to the deciding one, why it matched or not. */
export function explainDecision(
  compiled: CompiledConfig,
  request: PolicyRequest,
): { decision: PolicyDecision; rules: RuleExplanation[] } {
  const decision = decide(compiled, request);
  const policy = compiled.guardPoints.get(request.guardPoint);
  if (policy === undefined) return { decision, rules: [] };
  const prepared = prepareRequest(compiled, request);
  const rules: RuleExplanation[] = [];
  for (const rule of policy.rules) {
    const explanation = explainRule(rule, request, prepared);
    rules.push(explanation);
    if (explanation.matched) break;
  }
  return { decision, rules };
}

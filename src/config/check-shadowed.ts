// Security rules that can never decide anything because earlier rules
// already decide every request they cover. The test is conservative: an
// earlier rule counts only when it has no exclusions and each of its sets
// is absent or the same as the later rule's (and not excluded there). A
// rule decides its own actions plus, with browsing, the browsing actions.
import { BROWSING_ACTIONS, FINE_ACTIONS, expandActions } from '../policy/actions';
import type { Findings } from './problems';
import type { Config, FineAction, SecurityRule } from './types';

const BIT = new Map<FineAction, number>(FINE_ACTIONS.map((action, i) => [action, 1 << i]));

/** Warn about every security rule that earlier rules make unreachable. */
export function checkShadowedRules(config: Config, findings: Findings): void {
  config.policies.forEach((policy, p) => {
    // Fine-grained actions covered so far, per (resource, user, process) set triple.
    const covered = new Map<string, Covered>();
    for (const rule of policy.securityRules) {
      if (rule.actions.length === 0) continue;
      const wanted = decides(rule);
      const earlier = coveringRules(rule, wanted, covered);
      if (wanted !== 0 && (earlier.mask & wanted) === wanted) {
        const list = earlier.rules.slice(0, 3).map((i) => `security_rules[${i}]`).join(', ');
        const more = earlier.rules.length > 3 ? ` and ${earlier.rules.length - 3} more` : '';
        findings.warn(
          ['policies', p, 'security_rules', rule.index],
          `security rule can never match: earlier rules (${list}${more}) decide every request it covers`,
        );
      }
      if (!hasExclusion(rule)) record(rule, covered);
    }
  });
}

/** What earlier rules with one set triple decide: all their actions, and each rule's own. */
interface Covered {
  mask: number;
  rules: { index: number; mask: number }[];
}

function mask(actions: Iterable<FineAction>): number {
  let bits = 0;
  for (const action of actions) bits |= BIT.get(action) ?? 0;
  return bits;
}

// The actions a matching rule decides: its own, and with browsing the
// listing and attribute reads (which the policy engine permits for it).
function decides(rule: SecurityRule): number {
  return mask(expandActions(rule.actions)) | (rule.browsing ? mask(BROWSING_ACTIONS) : 0);
}

function hasExclusion(rule: SecurityRule): boolean {
  return rule.excludeResourceSet || rule.excludeUserSet || rule.excludeProcessSet;
}

function tripleKey(resource: string | null, user: string | null, process: string | null): string {
  return JSON.stringify([resource, user, process]);
}

// An earlier rule with sets (r, u, p) covers this one when each of r, u, p
// is null or equal to this rule's set (which must then not be excluded).
function candidates(own: string | null, excluded: boolean): (string | null)[] {
  return own === null || excluded ? [null] : [null, own];
}

function coveringRules(rule: SecurityRule, wanted: number, covered: Map<string, Covered>): { mask: number; rules: number[] } {
  const result = { mask: 0, rules: [] as number[] };
  for (const r of candidates(rule.resourceSet, rule.excludeResourceSet)) {
    for (const u of candidates(rule.userSet, rule.excludeUserSet)) {
      for (const p of candidates(rule.processSet, rule.excludeProcessSet)) {
        const entry = covered.get(tripleKey(r, u, p));
        if (entry === undefined) continue;
        result.mask |= entry.mask;
        // Name only the earlier rules that decide some of this rule's actions.
        for (const earlier of entry.rules) if ((earlier.mask & wanted) !== 0) result.rules.push(earlier.index);
      }
    }
  }
  result.rules.sort((a, b) => a - b);
  return result;
}

function record(rule: SecurityRule, covered: Map<string, Covered>): void {
  const key = tripleKey(rule.resourceSet, rule.userSet, rule.processSet);
  const entry = covered.get(key) ?? { mask: 0, rules: [] };
  // Only the actions no earlier rule with these sets decided are this rule's to decide.
  const bits = decides(rule) & ~entry.mask;
  if (bits !== 0) {
    entry.mask |= bits;
    entry.rules.push({ index: rule.index, mask: bits });
  }
  covered.set(key, entry);
}

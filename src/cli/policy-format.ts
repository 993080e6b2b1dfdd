// Text output of `policy check`: the decision, the deciding rule, and with
// --explain one line per rule up to the deciding one.
import type { SecurityRule } from '../config/types';
import type { RuleExplanation } from '../policy/explain';
import type { PolicyDecision, PolicyRequest } from '../policy/types';

/** Everything `policy check` reports (also its --json shape). */
export interface CheckReport {
  request: PolicyRequest;
  decision: PolicyDecision;
  /** The deciding security rule as configured; null when none matched. */
  rule: SecurityRule | null;
  explain: RuleExplanation[] | null;
  /** Configuration warnings (code null) and policy compile warnings. */
  warnings: { code: string | null; at: string; message: string }[];
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function setPart(kind: string, name: string | null, exclude: boolean): string {
  return `${kind}_set ${name === null ? '(any)' : `${exclude ? 'not ' : ''}${name}`}`;
}

/** One line describing a security rule as written. */
export function describeRule(rule: SecurityRule): string {
  return [
    setPart('user', rule.userSet, rule.excludeUserSet),
    setPart('process', rule.processSet, rule.excludeProcessSet),
    setPart('resource', rule.resourceSet, rule.excludeResourceSet),
    `action ${rule.actions.join(',') || '(none)'}`,
    `effect ${rule.effects.join(',')}`,
    `browsing ${yesNo(rule.browsing)}`,
  ].join('; ');
}

/** The human-readable report. */
export function formatCheck(report: CheckReport): string {
  const { request: r, decision: d } = report;
  const user = `${r.userName ?? '(no name)'} (uid ${r.uid}, gid ${r.gid}, groups ${r.groups.join(',')})`;
  const lines = [
    `${d.permit ? 'PERMIT' : 'DENY'} ${r.action} on ${r.guardPoint}${r.path === '/' ? '' : r.path}${r.isDirectory ? ' (directory)' : ''}`,
    `  user:       ${user}`,
    `  process:    ${r.exe}${r.exeSha256 === undefined ? '' : ` (sha256 ${r.exeSha256 ?? 'unreadable'})`}`,
    `  policy:     ${d.policy} (guard point ${r.guardPoint})`,
    `  rule:       ${report.rule === null ? 'none matched' : `${report.rule.index}: ${describeRule(report.rule)}`}`,
    `  key:        ${d.keyName ?? 'none (not encrypted)'}`,
    `  apply key:  ${yesNo(d.applyKey)}`,
    `  audit:      ${yesNo(d.audit)}`,
    `  learn mode: ${d.learnMode ? 'yes (the rules deny; learn mode lets it through)' : 'no'}`,
    `  reason:     ${d.reason}`,
  ];
  if (report.explain !== null) {
    lines.push('  rules:');
    for (const e of report.explain) lines.push(`    ${String(e.index).padStart(3)} ${e.matched ? 'match' : 'skip '} ${e.why}`);
    if (report.explain.length === 0 || report.explain[report.explain.length - 1].matched === false) {
      lines.push('        no rule matched: denied by default');
    }
  }
  return `${lines.join('\n')}\n`;
}

// The audit record: one JSON object per line for every decision that is a
// deny or carries the audit effect. docs/AUDIT.md documents each field.
import type { FineAction } from '../config/types';
import type { PolicyDecision, PolicyRequest } from '../policy/types';

/** One audit record as written (JSON lines). */
export interface AuditRecord {
  /** ISO 8601 time of the decision, UTC. */
  time: string;
  policy: string;
  guardPoint: string;
  /** Path inside the guard point. */
  path: string;
  action: FineAction;
  user: { name: string | null; uid: number; gid: number; groups: number[] };
  process: { exe: string; pid: number };
  /** Index of the deciding security rule; null when none matched. */
  rule: number | null;
  effect: 'permitted' | 'denied';
  applyKey: boolean;
  /** Key name from the key rules; null when not encrypted. */
  key: string | null;
  /** True when the rules denied and learn mode let the access through. */
  learnMode: boolean;
  reason: string;
}

/** Whether a decision must be audited: every deny, every learn-mode permit, every audit effect. */
export function mustAudit(decision: PolicyDecision): boolean {
  return decision.audit || !decision.permit || decision.learnMode;
}

/** Build the record for one decision; the user name is resolved by the caller (null when unknown). */
export function buildAuditRecord(
  request: PolicyRequest, decision: PolicyDecision, userName: string | null, time: Date,
): AuditRecord {
  return {
    time: time.toISOString(),
    policy: decision.policy,
    guardPoint: request.guardPoint,
    path: request.path,
    action: request.action,
    user: { name: userName, uid: request.uid, gid: request.gid, groups: [...request.groups] },
    process: { exe: request.exe, pid: request.pid },
    rule: decision.ruleIndex,
    effect: decision.permit ? 'permitted' : 'denied',
    applyKey: decision.applyKey,
    key: decision.keyName,
    learnMode: decision.learnMode,
    reason: decision.reason,
  };
}

/** One record as a single line: JSON escapes newlines in paths, so a file name cannot forge a record. */
export function formatAuditLine(record: AuditRecord): string {
  return `${JSON.stringify(record)}\n`;
}

// The kernel-query handler: one PolicyQuery in, one PolicyAnswer out, an
// audit record for every deny and every audited decision. It never throws:
// anything that goes wrong answers deny, which is what the kernel does too
// when no answer comes.
import type { Logger } from '../log/logger';
import type { PolicyAnswer, PolicyQuery } from '../kernel/types';
import type { KeyChoice } from '../policy/decide';
import type { PolicyDecision, PolicyRequest } from '../policy/types';
import type { ExeHasher } from './exe-hash';

/** The compiled policy as the handler sees it. */
export interface DecisionEngine {
  /** True when some process set carries a SHA-256 signature. */
  readonly needsSignatures: boolean;
  decide(request: PolicyRequest): PolicyDecision;
  /** The key rules' key for a new file (the data path); absent: no key rules at all. */
  keyChoice?(guardPoint: string, policyName: string, path: string): KeyChoice;
  /** The key every new file of the guard point gets whatever its path, or null (see pathFreeKeyChoice). */
  pathFreeKey?(guardPoint: string, policyName: string): KeyChoice | null;
}

/** Where audit records go. */
export interface AuditSink {
  record(request: PolicyRequest, decision: PolicyDecision): unknown;
}

/** What one request reads once, so a reload mid-request cannot mix two policies. */
export interface HandlerSnapshot {
  engine: DecisionEngine;
  cacheTtlMs: number;
}

export interface HandlerDeps {
  snapshot: () => HandlerSnapshot;
  answer: (answer: PolicyAnswer) => void | Promise<void>;
  audit: AuditSink;
  hasher: ExeHasher;
  userName: (uid: number) => string | undefined | Promise<string | undefined>;
  logger: Logger;
}

/** Build the handler given to KernelChannel.onQuery. */
export function createQueryHandler(deps: HandlerDeps): (query: PolicyQuery) => Promise<void> {
  return async (query) => {
    const log = deps.logger.child({ requestId: query.id, pid: query.pid, uid: query.uid, action: query.action });
    // winston streams a line through its formats before any transport
    // checks the level: skip that work when debug is off.
    const debug = deps.logger.isLevelEnabled('debug');
    if (debug) log.debug('policy query', { guardPoint: query.guardPoint, path: query.path, exe: query.exe });
    let request: PolicyRequest = toRequest(query);
    let answer: PolicyAnswer;
    try {
      const { engine, cacheTtlMs } = deps.snapshot();
      request = await enrich(request, engine, deps);
      const decision = engine.decide(request);
      answer = toAnswer(query.id, decision, cacheTtlMs);
      if (debug) log.debug('policy decision', { permit: decision.permit, rule: decision.ruleIndex, reason: decision.reason });
      if (!decision.permit || decision.audit) await writeAudit(deps, request, decision, log);
    } catch (err) {
      log.error('policy query failed; denying', { error: (err as Error).message });
      answer = { id: query.id, permit: false, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false };
      await writeAudit(deps, request, internalErrorDecision(err), log);
    }
    await sendAnswer(deps, answer, log);
  };
}

function toRequest(query: PolicyQuery): PolicyRequest {
  return {
    guardPoint: query.guardPoint,
    path: query.path,
    isDirectory: query.isDirectory,
    action: query.action,
    uid: query.uid,
    gid: query.gid,
    groups: query.groups,
    exe: query.exe,
    pid: query.pid,
  };
}

async function enrich(request: PolicyRequest, engine: DecisionEngine, deps: HandlerDeps): Promise<PolicyRequest> {
  const userName = await deps.userName(request.uid);
  const exeSha256 = engine.needsSignatures ? await deps.hasher.sha256(request.exe) : undefined;
  return {
    ...request,
    ...(userName === undefined ? {} : { userName }),
    ...(exeSha256 === undefined ? {} : { exeSha256 }),
  };
}

// Audited decisions are never cached by the kernel: each access must reach
// the audit log, not only the first one within the cache lifetime.
function toAnswer(id: number, decision: PolicyDecision, cacheTtlMs: number): PolicyAnswer {
  return {
    id,
    permit: decision.permit,
    applyKey: decision.permit && decision.applyKey,
    audit: decision.audit,
    cacheTtlMs: decision.audit ? 0 : cacheTtlMs,
    anyObject: !decision.audit && cacheTtlMs > 0 && decision.anyObject === true,
  };
}

function internalErrorDecision(err: unknown): PolicyDecision {
  return {
    permit: false,
    applyKey: false,
    audit: true,
    ruleIndex: null,
    policy: '',
    keyName: null,
    learnMode: false,
    reason: `internal error: ${(err as Error)?.message ?? String(err)}`,
  };
}

async function writeAudit(deps: HandlerDeps, request: PolicyRequest, decision: PolicyDecision, log: Logger): Promise<void> {
  try {
    await deps.audit.record(request, decision);
  } catch (err) {
    log.error('audit record not written', { error: (err as Error).message });
  }
}

async function sendAnswer(deps: HandlerDeps, answer: PolicyAnswer, log: Logger): Promise<void> {
  try {
    await deps.answer(answer);
  } catch (err) {
    // The kernel denies on its own when the answer never comes.
    log.error('answer not delivered', { error: (err as Error).message });
  }
}

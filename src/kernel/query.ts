// Converts the addon's decoded POLICY_REQ into the agent's PolicyQuery and
// a PolicyAnswer into the wire's reply fields.
import { actionName } from './actions';
import type { NativeConstants, NativeReply, NativeRequest } from './native';
import type { PolicyAnswer, PolicyQuery } from './types';
import { checkBoolean, checkObject, checkRequestId, checkUint32 } from './validate';

/** The PolicyQuery for a native request, or a reason it cannot be one. */
export function toQuery(req: NativeRequest, constants: NativeConstants): PolicyQuery | string {
  const action = actionName(req.action);
  if (action === undefined) return `expected an action number below ${constants.actionCount}, got ${req.action}`;
  return {
    id: req.requestId,
    guardPoint: req.guardPoint,
    path: req.path,
    isDirectory: (req.flags & constants.requestFlags.DIR) !== 0,
    action,
    pid: req.pid,
    uid: req.uid,
    gid: req.gid,
    groups: req.groups,
    exe: req.exe,
    inode: req.inode.toString(),
    policyName: req.policyName,
    generation: req.generation,
  };
}

/** Validate an answer and encode it as the reply fields of the wire. */
export function toReply(answer: unknown, constants: NativeConstants): NativeReply {
  const a = checkObject('answer', answer) as Partial<PolicyAnswer>;
  const requestId = checkRequestId('id', a.id);
  const permit = checkBoolean('permit', a.permit);
  const applyKey = checkBoolean('applyKey', a.applyKey);
  const audit = checkBoolean('audit', a.audit);
  const cacheTtlMs = checkUint32('cacheTtlMs', a.cacheTtlMs, constants.maxCacheTtlMs);
  const anyObject = a.anyObject === undefined ? false : checkBoolean('anyObject', a.anyObject);
  let flags = 0;
  if (applyKey) flags |= constants.replyFlags.APPLYKEY;
  if (audit) flags |= constants.replyFlags.AUDIT;
  if (anyObject) flags |= constants.replyFlags.ANY_OBJECT;
  const verdict = permit ? constants.verdicts.PERMIT : constants.verdicts.DENY;
  return { requestId, verdict, flags, cacheTtlMs };
}

/** The reply that denies request `requestId` and forbids caching it. */
export function denyReply(requestId: number, constants: NativeConstants): NativeReply {
  return { requestId, verdict: constants.verdicts.DENY, flags: 0, cacheTtlMs: 0 };
}

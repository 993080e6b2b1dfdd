// Builds the PolicyRequest of `policy check` from what an administrator
// types: a user name or uid, group names or gids, absolute paths.
import type { FineAction } from '../config/types';
import { createError } from '../errors';
import { isFineAction } from './actions';
import type { CompiledConfig } from './compiled';
import { findGuardPoint } from './guard-points';
import { normalisePath } from './paths';
import type { NssResolver, UserEntry } from './resolver';
import type { PolicyRequest } from './types';

/** The options of `policy check` that describe the access. */
export interface CheckInput {
  user: string;
  groups?: readonly string[];
  exe: string;
  path: string;
  action: string;
  isDirectory: boolean;
}

/** Computes an executable's SHA-256; null when it cannot be read. */
export type Sha256Of = (exe: string) => Promise<string | null>;

function absolute(option: string, value: string): string {
  if (!value.startsWith('/')) {
    throw createError('POLICY_ARGUMENT_INVALID', `expected --${option} to be an absolute path, got ${JSON.stringify(value)}`);
  }
  return normalisePath(value);
}

function fineAction(value: string): FineAction {
  if (!isFineAction(value)) {
    throw createError('POLICY_ARGUMENT_INVALID', `expected --action to be a fine-grained action (f_rd, f_wr, d_rd, ...), got ${JSON.stringify(value)}`);
  }
  return value;
}

function resolveUser(user: string, resolver: NssResolver): { uid: number; entry: UserEntry | null } {
  if (/^\d+$/.test(user)) {
    const uid = Number(user);
    return { uid, entry: resolver.userByUid(uid) };
  }
  const entry = resolver.userByName(user);
  if (entry === null) throw createError('POLICY_USER_UNKNOWN', `expected --user to name a user known to NSS, got ${JSON.stringify(user)}`);
  return { uid: entry.uid, entry };
}

function resolveGroup(group: string, resolver: NssResolver): number {
  if (/^\d+$/.test(group)) return Number(group);
  const entry = resolver.groupByName(group);
  if (entry === null) throw createError('POLICY_GROUP_UNKNOWN', `expected --group to name a group known to NSS, got ${JSON.stringify(group)}`);
  return entry.gid;
}

// --group replaces the user's groups, the first becoming the primary one;
// without it the groups are those NSS gives the user.
function groupsOf(user: string, uid: number, entry: UserEntry | null, groups: readonly string[], resolver: NssResolver): number[] {
  if (groups.length > 0) return [...new Set(groups.map((g) => resolveGroup(g, resolver)))];
  if (entry === null) {
    throw createError('POLICY_USER_UNKNOWN', `expected uid ${uid} (--user ${user}) to have a passwd entry, got none; give its groups with --group`);
  }
  return resolver.groupsOfUser(entry.name);
}

/** Build the request; the SHA-256 is computed only when the guard point's policy has signatures. */
export async function buildCheckRequest(
  compiled: CompiledConfig, input: CheckInput, resolver: NssResolver, sha256Of: Sha256Of,
): Promise<PolicyRequest> {
  const action = fineAction(input.action);
  const target = absolute('path', input.path);
  const exe = absolute('exe', input.exe);
  const place = findGuardPoint(compiled, target);
  if (place === null) {
    throw createError('POLICY_GUARD_POINT_NOT_FOUND', `expected --path inside a guard point (${[...compiled.guardPoints.keys()].join(', ') || 'none configured'}), got ${target}`);
  }
  const { uid, entry } = resolveUser(input.user, resolver);
  const groups = groupsOf(input.user, uid, entry, input.groups ?? [], resolver);
  const request: PolicyRequest = {
    guardPoint: place.guardPoint, path: place.path, isDirectory: input.isDirectory, action,
    uid, gid: groups[0], groups, exe, pid: 0,
    ...(entry === null ? {} : { userName: entry.name }),
  };
  if (compiled.guardPoints.get(place.guardPoint)?.needsExeSha256) request.exeSha256 = await sha256Of(exe);
  return request;
}

// Mounting the auto guard points at start (all or none) and unmounting
// them at stop. A busy guard point is never lazily detached: it stays
// mounted and, with no agent registered, the module denies all access.
import { statSync } from 'node:fs';
import type { GuardPoint } from '../config/types';
import { createError, TakakryptError } from '../errors';
import type { Logger } from '../log/logger';
import { describeHolders, findHolders, GuardMount } from './mounts';

/** mount(2)/umount(2) of takakryptfs; the unmount error carries code 'EBUSY' when busy. */
export interface Mounter {
  mount(path: string, policy: string): Promise<void>;
  unmount(path: string): Promise<void>;
  /** The current takakryptfs mounts. */
  list(): GuardMount[];
  /** syncfs(2) of a mounted guard point; absent: nothing to flush. */
  sync?(path: string): Promise<void>;
}

/** Result of mounting: what this call mounted and what was already there. */
export interface MountResult {
  mounted: string[];
  adopted: string[];
}

/** Throw AGENT_GUARD_POINT_MISSING unless the guard point's directory exists. */
export function checkDirectory(gp: GuardPoint): void {
  let isDir = false;
  try {
    isDir = statSync(gp.path).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw createError('AGENT_GUARD_POINT_MISSING',
      `guard point ${gp.path}: expected an existing directory, found none`, { path: gp.path });
  }
}

/**
 * Mount every auto guard point. One already mounted with the same policy
 * (left by a restart or a busy stop) is adopted. On any failure, what this
 * call mounted is unmounted again and the error is rethrown.
 */
export async function mountGuardPoints(points: GuardPoint[], mounter: Mounter, log: Logger): Promise<MountResult> {
  const result: MountResult = { mounted: [], adopted: [] };
  const existing = new Map(mounter.list().map((m) => [m.path, m]));
  try {
    for (const gp of points.filter((p) => p.mode === 'auto')) {
      const current = existing.get(gp.path);
      if (current && current.policy === gp.policy) {
        result.adopted.push(gp.path);
        continue;
      }
      if (current) {
        throw createError('AGENT_MOUNT_FAILED',
          `guard point ${gp.path}: expected policy ${gp.policy}, found it mounted with policy ${current.policy ?? '(none)'}`,
          { path: gp.path });
      }
      checkDirectory(gp);
      await mountOne(gp, mounter);
      result.mounted.push(gp.path);
      log.info('guard point mounted', { path: gp.path, policy: gp.policy });
    }
  } catch (err) {
    await rollback(result.mounted, mounter, log);
    throw err;
  }
  return result;
}

async function mountOne(gp: GuardPoint, mounter: Mounter): Promise<void> {
  try {
    await mounter.mount(gp.path, gp.policy);
  } catch (err) {
    throw createError('AGENT_MOUNT_FAILED', `guard point ${gp.path}: mount failed: ${(err as Error).message}`,
      { path: gp.path });
  }
}

async function rollback(mounted: string[], mounter: Mounter, log: Logger): Promise<void> {
  for (const path of [...mounted].reverse()) {
    try {
      await mounter.unmount(path);
      log.info('guard point unmounted after failed start', { path });
    } catch (err) {
      log.error('guard point left mounted after failed start', { path, error: (err as Error).message });
    }
  }
}

/** One guard point that could not be unmounted. */
export interface UnmountFailure {
  path: string;
  message: string;
}

/** Unmount each path; busy ones are reported with their holders and left mounted. */
export async function unmountGuardPoints(paths: string[], mounter: Mounter, log: Logger): Promise<UnmountFailure[]> {
  const failures: UnmountFailure[] = [];
  const mountedNow = new Set(mounter.list().map((m) => m.path));
  for (const path of [...paths].reverse()) {
    if (!mountedNow.has(path)) continue;
    try {
      await mounter.unmount(path);
      log.info('guard point unmounted', { path });
    } catch (err) {
      const failure = describeUnmountError(path, err);
      log.error('guard point left mounted', { path, error: failure.message });
      failures.push(failure);
    }
  }
  return failures;
}

function describeUnmountError(path: string, err: unknown): UnmountFailure {
  if ((err as NodeJS.ErrnoException).code !== 'EBUSY') {
    return { path, message: `guard point ${path}: unmount failed: ${(err as Error).message}` };
  }
  const holders = findHolders(path);
  const who = holders.length > 0 ? `held by ${describeHolders(holders)}` : 'held by a mount below it or the kernel';
  return { path, message: `guard point ${path} is busy, ${who}; it stays mounted and denies all access` };
}

/** The error `stop` reports for busy guard points. */
export function busyError(failures: UnmountFailure[]): TakakryptError {
  return createError('AGENT_GUARD_POINT_BUSY', failures.map((f) => f.message).join('\n'), { failures });
}

// Which guard point an absolute path lies in. Guard points do not nest, so
// at most one holds any path; the match is by whole path components.
import type { CompiledConfig } from './compiled';
import { isWithin, normalisePath } from './paths';

/** A path split into its guard point and the path inside it. */
export interface GuardPointMatch {
  guardPoint: string;
  /** Inside the guard point, starting with '/'; '/' is the guard point itself. */
  path: string;
}

/** The guard point holding `absolutePath`, or null when there is none. */
export function findGuardPoint(compiled: CompiledConfig, absolutePath: string): GuardPointMatch | null {
  const path = normalisePath(absolutePath);
  let best: string | null = null;
  for (const guardPoint of compiled.guardPoints.keys()) {
    if (isWithin(guardPoint, path) && (best === null || guardPoint.length > best.length)) best = guardPoint;
  }
  if (best === null) return null;
  const inside = best === '/' ? path : path.slice(best.length);
  return { guardPoint: best, path: inside === '' ? '/' : inside };
}

// The offline transform must not run through, or underneath, an active guard
// point: data read through takakryptfs is already decrypted, data written
// under it would be encrypted twice.
import { readFileSync, realpathSync } from 'fs';
import path from 'path';
import { createError } from '../errors';

/** Filesystem type of a mounted guard point. */
export const GUARD_POINT_FS = 'takakryptfs';

/** Undo the octal escapes (\040 etc.) /proc/self/mounts uses for blanks. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points of every takakryptfs mount listed in `mountsText`. */
export function guardPointMounts(mountsText: string): string[] {
  const out: string[] = [];
  for (const line of mountsText.split('\n')) {
    const fields = line.split(' ');
    if (fields.length >= 3 && fields[2] === GUARD_POINT_FS) out.push(unescapeMountField(fields[1]));
  }
  return out;
}

function contains(outer: string, inner: string): boolean {
  return outer === inner || inner.startsWith(outer === '/' ? '/' : outer + '/');
}

/** Throw TRANSFORM_GUARD_POINT_ACTIVE when a guard point is mounted at, above or below `dir`. */
export function assertNoActiveGuardPoint(dir: string, mountsFile = '/proc/self/mounts'): void {
  const real = realpathSync(path.resolve(dir));
  for (const mount of guardPointMounts(readFileSync(mountsFile, 'utf8'))) {
    if (contains(mount, real) || contains(real, mount)) {
      const where = mount === real ? 'at' : contains(mount, real) ? 'above' : 'below';
      throw createError(
        'TRANSFORM_GUARD_POINT_ACTIVE',
        `${real}: expected no mounted guard point at, above or below it, got takakryptfs mounted on ${mount} (${where}); stop the agent or unmount the guard point first`,
        { path: real, mount },
      );
    }
  }
}

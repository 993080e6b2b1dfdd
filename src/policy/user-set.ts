// User sets compiled to id sets: names are resolved through NSS once, at
// compile time, so a decision only compares numbers.
import type { UserSet } from '../config/types';
import type { NssResolver } from './resolver';
import type { WarningSink } from './warnings';

/** A user set as uids and gids; `empty` when the configuration lists nothing. */
export interface CompiledUserSet {
  name: string;
  empty: boolean;
  uids: ReadonlySet<number>;
  gids: ReadonlySet<number>;
}

function resolveNames<T>(
  names: readonly string[],
  lookup: (name: string) => T | null,
  onMissing: (name: string) => void,
): T[] {
  const found: T[] = [];
  for (const name of names) {
    const entry = lookup(name);
    if (entry === null) onMissing(name);
    else found.push(entry);
  }
  return found;
}

/** Compile one user set; a name that does not resolve is warned about and matches nothing. */
export function compileUserSet(set: UserSet, resolver: NssResolver, warn: WarningSink): CompiledUserSet {
  const missing = (kind: string) => (name: string) =>
    warn({
      code: 'POLICY_NAME_UNRESOLVED',
      message: `user set ${set.name}: expected ${kind} ${JSON.stringify(name)} to resolve through NSS, got no entry; it matches nothing`,
      position: set.position,
    });
  const users = resolveNames(set.users, (n) => resolver.userByName(n), missing('user'));
  const groups = resolveNames(set.groups, (n) => resolver.groupByName(n), missing('group'));
  return {
    name: set.name,
    empty: set.users.length + set.uids.length + set.groups.length + set.gids.length === 0,
    uids: new Set([...set.uids, ...users.map((u) => u.uid)]),
    gids: new Set([...set.gids, ...groups.map((g) => g.gid)]),
  };
}

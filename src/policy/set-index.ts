// One index over every set of a configuration, keyed by what a request
// carries (uid, gid, executable directory, path directories). A request
// costs a few Map lookups in total, however many rules and entries there
// are; each rule then only reads its sets' marks.
import { addName, newNameIndex, type NameIndex } from './name-index';
import type { CompiledProcessSet } from './process-set';
import type { CompiledResourceSet } from './resource-set';
import type { CompiledUserSet } from './user-set';

/** The index; set ids are positions in the arrays given to buildSetIndex. */
export interface SetIndex {
  uids: Map<number, number[]>;
  gids: Map<number, number[]>;
  executables: Map<string, NameIndex>;
  /** Resource entries by directory: names directly in it. */
  here: Map<string, NameIndex>;
  /** Resource entries with subfolders by directory: names anywhere below it. */
  below: Map<string, NameIndex>;
  containers: Map<string, number[]>;
  containersBelow: Map<string, number[]>;
  counts: { users: number; processes: number; resources: number };
}

function addId<K>(map: Map<K, number[]>, key: K, id: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [id]);
  else if (list[list.length - 1] !== id) list.push(id);
}

function nameIndex(map: Map<string, NameIndex>, dir: string): NameIndex {
  let index = map.get(dir);
  if (index === undefined) {
    index = newNameIndex();
    map.set(dir, index);
  }
  return index;
}

/** Build the index over the given sets. */
export function buildSetIndex(
  users: readonly CompiledUserSet[], processes: readonly CompiledProcessSet[], resources: readonly CompiledResourceSet[],
): SetIndex {
  const index: SetIndex = {
    uids: new Map(), gids: new Map(), executables: new Map(), here: new Map(), below: new Map(),
    containers: new Map(), containersBelow: new Map(),
    counts: { users: users.length, processes: processes.length, resources: resources.length },
  };
  users.forEach((set, id) => {
    for (const uid of set.uids) addId(index.uids, uid, id);
    for (const gid of set.gids) addId(index.gids, gid, id);
  });
  processes.forEach((set, id) => {
    for (const e of set.entries) addName(nameIndex(index.executables, e.directory), e.pattern, { set: id, sha256: e.sha256 });
  });
  resources.forEach((set, id) => {
    for (const e of set.entries) {
      addName(nameIndex(index.here, e.directory), e.pattern, { set: id, sha256: null });
      addId(index.containers, e.directory, id);
      if (!e.subfolders) continue;
      addName(nameIndex(index.below, e.directory), e.pattern, { set: id, sha256: null });
      addId(index.containersBelow, e.directory, id);
    }
  });
  return index;
}

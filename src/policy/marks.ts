// Per-request marks: which sets hold the request's user, executable and
// path. Generation stamps avoid clearing the arrays between requests; the
// arrays belong to one compiled configuration and are reused by decide().
import { visitMatches, type NameHit } from './name-index';
import type { SplitPath } from './paths';
import type { SetIndex } from './set-index';

/** Stamp arrays, one slot per set; a slot equal to the current generation is "marked". */
export class SetMarks {
  readonly user: Uint32Array;
  readonly process: Uint32Array;
  /** Process sets that list the executable, but only with other signatures. */
  readonly signature: Uint32Array;
  readonly resource: Uint32Array;
  private generation = 0;

  constructor(counts: SetIndex['counts']) {
    this.user = new Uint32Array(counts.users);
    this.process = new Uint32Array(counts.processes);
    this.signature = new Uint32Array(counts.processes);
    this.resource = new Uint32Array(counts.resources);
  }

  /** Start a request: a generation no slot carries yet. */
  next(): number {
    this.generation += 1;
    if (this.generation === 0xffffffff) {
      for (const a of [this.user, this.process, this.signature, this.resource]) a.fill(0);
      this.generation = 1;
    }
    return this.generation;
  }
}

function markIds(ids: readonly number[] | undefined, slots: Uint32Array, gen: number): void {
  if (ids !== undefined) for (const id of ids) slots[id] = gen;
}

/** Mark the user sets holding the uid, the primary gid or a supplementary gid. */
export function markUser(index: SetIndex, marks: SetMarks, gen: number, uid: number, gid: number, groups: readonly number[]): void {
  markIds(index.uids.get(uid), marks.user, gen);
  if (index.gids.size === 0) return;
  markIds(index.gids.get(gid), marks.user, gen);
  for (const g of groups) markIds(index.gids.get(g), marks.user, gen);
}

/** Mark the process sets listing the executable, and those whose signature it lacks. */
export function markProcess(index: SetIndex, marks: SetMarks, gen: number, exe: SplitPath | null, sha256: string | null | undefined): void {
  if (exe === null || exe.parent === null) return;
  const dir = index.executables.get(exe.parent);
  if (dir === undefined) return;
  visitMatches(dir, exe.name, (hit: NameHit) => {
    if (hit.sha256 === null || hit.sha256 === sha256) marks.process[hit.set] = gen;
    else marks.signature[hit.set] = gen;
  });
}

/** Mark the resource sets holding the path (see docs/POLICY.md for directories). */
export function markResource(index: SetIndex, marks: SetMarks, gen: number, target: SplitPath, isDirectory: boolean): void {
  const slots = marks.resource;
  const visit = (hit: NameHit) => { slots[hit.set] = gen; };
  if (target.parent !== null) {
    const here = index.here.get(target.parent);
    if (here !== undefined) visitMatches(here, target.name, visit);
    if (index.below.size > 0) {
      for (const dir of target.above) {
        const below = index.below.get(dir);
        if (below !== undefined) visitMatches(below, target.name, visit);
      }
    }
  }
  if (!isDirectory) return;
  markIds(index.containers.get(target.path), slots, gen);
  if (target.parent === null || index.containersBelow.size === 0) return;
  markIds(index.containersBelow.get(target.parent), slots, gen);
  for (const dir of target.above) markIds(index.containersBelow.get(dir), slots, gen);
}

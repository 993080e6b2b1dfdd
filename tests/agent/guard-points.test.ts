import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountGuardPoints, Mounter, unmountGuardPoints } from '../../src/agent/guard-points';
import type { GuardMount } from '../../src/agent/mounts';
import type { GuardPoint } from '../../src/config/types';
import { nullLogger } from '../../src/log/logger';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-gp-'));
  for (const name of ['a', 'b', 'c']) mkdirSync(join(dir, name));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function gp(name: string, mode: 'auto' | 'manual' = 'auto', policy = 'p'): GuardPoint {
  return { path: join(dir, name), policy, mode, position: { file: 'c.yaml', line: 1, column: 1 } };
}

/** A mounter over an in-memory table; `fail` maps a path to the error its mount/unmount throws. */
function fakeMounter(initial: GuardMount[] = [], fail: Record<string, string> = {}) {
  const table = new Map(initial.map((m) => [m.path, m]));
  const calls: string[] = [];
  const mounter: Mounter = {
    list: () => [...table.values()],
    mount: async (path, policy) => {
      calls.push(`mount ${path}`);
      if (fail[path]) throw new Error(fail[path]);
      table.set(path, { path, policy });
    },
    unmount: async (path) => {
      calls.push(`umount ${path}`);
      if (fail[path] === 'busy') throw Object.assign(new Error('target is busy'), { code: 'EBUSY' });
      table.delete(path);
    },
  };
  return { mounter, calls, table };
}

describe('mountGuardPoints', () => {
  test('mounts auto guard points only, adopts one already mounted with its policy', async () => {
    const { mounter, calls } = fakeMounter([{ path: join(dir, 'b'), policy: 'p' }]);
    const result = await mountGuardPoints([gp('a'), gp('b'), gp('c', 'manual')], mounter, nullLogger());
    expect(result).toEqual({ mounted: [join(dir, 'a')], adopted: [join(dir, 'b')] });
    expect(calls).toEqual([`mount ${join(dir, 'a')}`]);
  });

  test.each([
    ['missing directory', ['a', 'b', 'zz'], {}, 'AGENT_GUARD_POINT_MISSING',
      (d: string) => `guard point ${d}/zz: expected an existing directory, found none`],
    ['mount failure', ['a', 'b', 'c'], { c: 'unknown filesystem type' }, 'AGENT_MOUNT_FAILED',
      (d: string) => `guard point ${d}/c: mount failed: unknown filesystem type`],
  ] as [string, string[], Record<string, string>, string, (d: string) => string][])('%s: rolls back what it mounted', async (_name, names, failures, code, message) => {
    const points = names.map((name) => gp(name));
    const fail = Object.fromEntries(Object.entries(failures).map(([k, v]) => [join(dir, k), v]));
    const { mounter, calls, table } = fakeMounter([], fail);
    await expect(mountGuardPoints(points, mounter, nullLogger())).rejects.toMatchObject({ code, message: message(dir) });
    expect(table.size).toBe(0);
    expect(calls.filter((c) => c.startsWith('umount'))).toEqual([`umount ${join(dir, 'b')}`, `umount ${join(dir, 'a')}`]);
  });

  test('refuses a guard point mounted with another policy', async () => {
    const { mounter } = fakeMounter([{ path: join(dir, 'a'), policy: 'old' }]);
    await expect(mountGuardPoints([gp('a')], mounter, nullLogger())).rejects.toMatchObject({
      code: 'AGENT_MOUNT_FAILED',
      message: `guard point ${join(dir, 'a')}: expected policy p, found it mounted with policy old`,
    });
  });
});

describe('unmountGuardPoints', () => {
  test('unmounts in reverse order and reports a busy one, leaving it mounted', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const { mounter, calls, table } = fakeMounter([{ path: a, policy: 'p' }, { path: b, policy: 'p' }], { [a]: 'busy' });
    const failures = await unmountGuardPoints([a, b], mounter, nullLogger());
    expect(calls).toEqual([`umount ${b}`, `umount ${a}`]);
    expect([...table.keys()]).toEqual([a]);
    expect(failures).toHaveLength(1);
    expect(failures[0].path).toBe(a);
    expect(failures[0].message).toMatch(new RegExp(`^guard point ${a} is busy, held by .*; it stays mounted and denies all access$`));
  });

  test('skips paths that are not mounted', async () => {
    const { mounter, calls } = fakeMounter();
    expect(await unmountGuardPoints([join(dir, 'a')], mounter, nullLogger())).toEqual([]);
    expect(calls).toEqual([]);
  });
});

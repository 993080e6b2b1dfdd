import { readFileSync } from 'node:fs';
import { isTakakryptError } from '../../src/errors';
import { groupByGid, groupByName, groupList, userByName, userByUid } from '../../src/kernel/nss';

// The expectations come from the files NSS reads on this machine.
const passwd = readFileSync('/etc/passwd', 'utf8').trim().split('\n').map((l) => l.split(':'));
const groups = readFileSync('/etc/group', 'utf8').trim().split('\n').map((l) => l.split(':'));
const root = passwd.find((f) => f[2] === '0') as string[];
const rootGroup = groups.find((f) => f[2] === '0') as string[];
const unusedId = 3999999;

describe('users', () => {
  test.each(passwd.slice(0, 5).map((f) => [f[0], Number(f[2]), Number(f[3]), f[5], f[6]] as const))(
    '%s by uid and by name',
    async (name, uid, gid, dir, shell) => {
      const entry = { name, uid, gid, dir, shell };
      expect(await userByUid(uid)).toEqual(entry);
      expect(await userByName(name)).toEqual(entry);
    },
  );

  test('an unknown uid or name is null', async () => {
    expect(await userByUid(unusedId)).toBeNull();
    expect(await userByName('no-such-user-takakrypt')).toBeNull();
  });
});

describe('groups', () => {
  test('root group by gid and by name', async () => {
    const entry = { name: rootGroup[0], gid: 0, members: rootGroup[3] ? rootGroup[3].split(',') : [] };
    expect(await groupByGid(0)).toEqual(entry);
    expect(await groupByName(rootGroup[0])).toEqual(entry);
  });

  test('an unknown gid or name is null', async () => {
    expect(await groupByGid(unusedId)).toBeNull();
    expect(await groupByName('no-such-group-takakrypt')).toBeNull();
  });

  test('group list of root holds its primary group and every group naming it', async () => {
    const expected = [0, ...groups.filter((f) => f[3]?.split(',').includes(root[0])).map((f) => Number(f[2]))];
    expect((await groupList(root[0], 0)).sort((a, b) => a - b)).toEqual([...new Set(expected)].sort((a, b) => a - b));
  });
});

describe('argument validation', () => {
  test.each([
    [() => userByUid(-1), 'Expected the `uid` option to be a non-negative integer, got -1'],
    [() => userByName(''), 'Expected the `name` option to be a non-empty string without NUL bytes, got ""'],
    [() => groupByGid(2 ** 32), 'Expected the `gid` option to be at most 4294967295, got 4294967296'],
    [() => groupByName('a\0b'), 'Expected the `name` option to be a non-empty string without NUL bytes, got "a\\u0000b"'],
    [() => groupList('root', 1.5), 'Expected the `gid` option to be a non-negative integer, got 1.5'],
  ])('%#', (call, message) => {
    let caught: unknown;
    try {
      void call();
    } catch (err) {
      caught = err;
    }
    expect(isTakakryptError(caught, 'KERNEL_INVALID_ARGUMENT') && caught.message).toBe(message);
  });
});

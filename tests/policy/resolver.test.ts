import { isTakakryptError } from '../../src/errors';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetentResolver, getentRunner, type GetentRunner } from '../../src/policy/resolver';

const PASSWD: Record<string, string> = {
  alice: 'alice:x:1001:1001:Alice:/home/alice:/bin/bash\n',
  1001: 'alice:x:1001:1001:Alice:/home/alice:/bin/bash\n',
  // getent answers a numeric key by id, whatever the name is.
  1000: 'carol:x:1000:1000::/home/carol:/bin/sh\n',
  broken: 'broken:x:notanumber:1:::\n',
};
const GROUP: Record<string, string> = {
  dev: 'dev:x:2001:alice,bob\n',
  2001: 'dev:x:2001:alice,bob\n',
};
const INITGROUPS: Record<string, string> = { alice: 'alice                 2001 2002 1001\n' };

function fakeGetent(calls: string[]): GetentRunner {
  const tables: Record<string, Record<string, string>> = { passwd: PASSWD, group: GROUP, initgroups: INITGROUPS };
  return (database, key) => {
    calls.push(`${database} ${key}`);
    return tables[database][key] ?? null;
  };
}

describe('GetentResolver', () => {
  test.each<[string, (r: GetentResolver) => unknown, unknown]>([
    ['user by name', (r) => r.userByName('alice'), { name: 'alice', uid: 1001, gid: 1001 }],
    ['user by uid', (r) => r.userByUid(1001), { name: 'alice', uid: 1001, gid: 1001 }],
    ['unknown user', (r) => r.userByName('zed'), null],
    ['a numeric name is not taken as a uid', (r) => r.userByName('1000'), null],
    ['malformed entry', (r) => r.userByName('broken'), null],
    ['group by name', (r) => r.groupByName('dev'), { name: 'dev', gid: 2001 }],
    ['group by gid', (r) => r.groupByGid(2001), { name: 'dev', gid: 2001 }],
    ['unknown group', (r) => r.groupByGid(9), null],
    ['groups of a user: primary first, no duplicates', (r) => r.groupsOfUser('alice'), [1001, 2001, 2002]],
    ['groups of an unknown user', (r) => r.groupsOfUser('zed'), []],
  ])('%s', (_name, ask, expected) => {
    expect(ask(new GetentResolver(fakeGetent([])))).toEqual(expected);
  });

  test('answers, including unknown ones, are cached until clear()', () => {
    const calls: string[] = [];
    const resolver = new GetentResolver(fakeGetent(calls));
    resolver.userByName('alice');
    resolver.userByName('alice');
    resolver.userByName('zed');
    resolver.userByName('zed');
    expect(calls).toEqual(['passwd alice', 'passwd zed']);
    resolver.clear();
    resolver.userByName('alice');
    expect(calls).toEqual(['passwd alice', 'passwd zed', 'passwd alice']);
  });

  test('the real getent resolves root through NSS', () => {
    const resolver = new GetentResolver();
    expect([resolver.userByName('root'), resolver.userByUid(0), resolver.groupByGid(0)]).toEqual([
      { name: 'root', uid: 0, gid: 0 }, { name: 'root', uid: 0, gid: 0 }, { name: 'root', gid: 0 },
    ]);
    expect(resolver.groupsOfUser('root')[0]).toBe(0);
  });

  test('a name that looks like an option is not taken as one', () => {
    expect(new GetentResolver().userByName('--help')).toBeNull();
  });

  test.each([
    ['getent missing', '/nonexistent/getent', 'expected getent passwd to answer for "alice", got: spawnSync /nonexistent/getent ENOENT'],
    ['name service failure (exit 3)', 'exit3', 'expected getent passwd to answer for "alice", got: Command failed: EXIT3 passwd -- alice'],
  ])('%s is an error, not "unknown"', (_name, command, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'takakrypt-getent-'));
    const script = join(dir, 'getent');
    writeFileSync(script, '#!/bin/sh\nexit 3\n');
    chmodSync(script, 0o755);
    const path = command === 'exit3' ? script : command;
    let caught: unknown;
    try {
      new GetentResolver(getentRunner(path)).userByName('alice');
    } catch (err) {
      caught = err;
    }
    expect(isTakakryptError(caught, 'POLICY_NSS_UNAVAILABLE')).toBe(true);
    expect((caught as Error).message).toBe(message.replace('EXIT3', script));
  });

  test('exit status 2 of getent means unknown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'takakrypt-getent-'));
    const script = join(dir, 'getent');
    writeFileSync(script, '#!/bin/sh\nexit 2\n');
    chmodSync(script, 0o755);
    expect(new GetentResolver(getentRunner(script)).userByName('alice')).toBeNull();
  });
});

import { markProcess, markResource, markUser, SetMarks } from '../../src/policy/marks';
import { normalisePath, splitPath, type SplitPath } from '../../src/policy/paths';
import { compileProcessSet, type CompiledProcessSet } from '../../src/policy/process-set';
import { compileResourceSet, type CompiledResourceSet } from '../../src/policy/resource-set';
import { buildSetIndex } from '../../src/policy/set-index';
import { compileUserSet, type CompiledUserSet } from '../../src/policy/user-set';
import type { CompileWarning } from '../../src/policy/warnings';
import { processSet, resolver, resourceSet, userSet } from './helpers';

// Each helper indexes one set next to a decoy set and reports set 1's marks,
// so a test also shows that one set's entries do not leak into another's.
const decoyUsers = compileUserSet(userSet('decoy', { uids: [4242] }), resolver, () => undefined);
const decoyProcesses = compileProcessSet(processSet('decoy', [['/usr/sbin', 'decoy']]));
const decoyResources = compileResourceSet(resourceSet('decoy', [['/decoy', '*', true]]));

function userSetHas(set: CompiledUserSet, uid: number, gid: number, groups: number[]): boolean {
  const index = buildSetIndex([decoyUsers, set], [], []);
  const marks = new SetMarks(index.counts);
  const gen = marks.next();
  markUser(index, marks, gen, uid, gid, groups);
  return marks.user[1] === gen;
}

enum ProcessMatch { NoEntry = 'no entry', SignatureMismatch = 'signature mismatch', Match = 'match' }

function processSetMatch(set: CompiledProcessSet, exe: SplitPath | null, sha: string | null | undefined): ProcessMatch {
  const index = buildSetIndex([], [decoyProcesses, set], []);
  const marks = new SetMarks(index.counts);
  const gen = marks.next();
  markProcess(index, marks, gen, exe, sha);
  if (marks.process[1] === gen) return ProcessMatch.Match;
  return marks.signature[1] === gen ? ProcessMatch.SignatureMismatch : ProcessMatch.NoEntry;
}

function resourceSetHas(set: CompiledResourceSet, target: SplitPath, isDirectory: boolean): boolean {
  const index = buildSetIndex([], [], [decoyResources, set]);
  const marks = new SetMarks(index.counts);
  const gen = marks.next();
  markResource(index, marks, gen, target, isDirectory);
  return marks.resource[1] === gen;
}

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('user sets', () => {
  const warnings: CompileWarning[] = [];
  const compile = (members: Parameters<typeof userSet>[1]) =>
    compileUserSet(userSet('u', members), resolver, (w) => warnings.push(w));
  beforeEach(() => warnings.splice(0));

  test.each<[string, Parameters<typeof userSet>[1], number, number, number[], boolean]>([
    ['name resolves to its uid', { users: ['alice'] }, 1001, 1001, [], true],
    ['name does not match another uid', { users: ['alice'] }, 1002, 1001, [], false],
    ['uid listed', { uids: [1002] }, 1002, 1002, [], true],
    ['uid 0 is not uid 1001', { uids: [0] }, 1001, 1001, [], false],
    ['group name via primary gid', { groups: ['mysql'] }, 27, 27, [], true],
    ['group name via supplementary gid', { groups: ['ops'] }, 1001, 1001, [2002], true],
    ['group name not held', { groups: ['ops'] }, 1002, 1002, [2001], false],
    ['gid listed, supplementary', { gids: [2001] }, 1002, 1002, [1002, 2001], true],
    ['gid listed, not held', { gids: [2001] }, 27, 27, [27], false],
    ['user name does not match by group of the same name', { users: ['bob'] }, 1001, 1002, [1002], false],
  ])('%s', (_name, members, uid, gid, groups, expected) => {
    expect(userSetHas(compile(members), uid, gid, groups)).toBe(expected);
  });

  test('an unresolved name warns and matches nothing', () => {
    const set = compile({ users: ['mallory'], groups: ['nogroup-here'] });
    expect(set.empty).toBe(false);
    expect(set.uids.size + set.gids.size).toBe(0);
    expect(warnings.map((w) => [w.code, w.message])).toEqual([
      ['POLICY_NAME_UNRESOLVED', 'user set u: expected user "mallory" to resolve through NSS, got no entry; it matches nothing'],
      ['POLICY_NAME_UNRESOLVED', 'user set u: expected group "nogroup-here" to resolve through NSS, got no entry; it matches nothing'],
    ]);
  });

  test('the decoy set holds only its own uid', () => {
    expect(userSetHas(decoyUsers, 4242, 4242, [])).toBe(true);
  });

  test('a set with no members is empty', () => {
    expect(compile({}).empty).toBe(true);
  });
});

describe('process sets', () => {
  const set = compileProcessSet(processSet('db', [
    ['/usr/sbin', 'mariadbd'],
    ['/usr/bin/', 'mysql*'],
    ['/opt/app/bin', 'worker-[0-9]', SHA_A],
    ['/usr/local/bin', 'signed', SHA_A],
    ['/usr/local/bin', 'signed', SHA_B.toUpperCase()],
  ]));

  test.each<[string, string, string | null | undefined, ProcessMatch]>([
    ['exact path', '/usr/sbin/mariadbd', undefined, ProcessMatch.Match],
    ['longer name is not a match', '/usr/sbin/mariadbd-safe', undefined, ProcessMatch.NoEntry],
    ['name as a suffix is not a match', '/usr/sbin/not-mariadbd', undefined, ProcessMatch.NoEntry],
    ['shorter name is not a match', '/usr/sbin/mariadb', undefined, ProcessMatch.NoEntry],
    ['same name in a subdirectory', '/usr/sbin/x/mariadbd', undefined, ProcessMatch.NoEntry],
    ['same name in a parent directory', '/usr/mariadbd', undefined, ProcessMatch.NoEntry],
    ['directory prefix is not a match', '/usr/sbinx/mariadbd', undefined, ProcessMatch.NoEntry],
    ['non-normal path is normalised', '/usr/./sbin//mariadbd', undefined, ProcessMatch.Match],
    ['dot-dot leaves the directory', '/usr/sbin/../bin/mariadbd', undefined, ProcessMatch.NoEntry],
    ['glob in trailing-slash directory', '/usr/bin/mysqldump', undefined, ProcessMatch.Match],
    ['glob does not match elsewhere', '/usr/local/bin/mysqldump', undefined, ProcessMatch.NoEntry],
    ['signed glob, right hash', '/opt/app/bin/worker-3', SHA_A, ProcessMatch.Match],
    ['signed glob, wrong hash', '/opt/app/bin/worker-3', SHA_B, ProcessMatch.SignatureMismatch],
    ['signed glob, unreadable', '/opt/app/bin/worker-3', null, ProcessMatch.SignatureMismatch],
    ['signed glob, not computed', '/opt/app/bin/worker-3', undefined, ProcessMatch.SignatureMismatch],
    ['signed glob, name outside the pattern', '/opt/app/bin/worker-10', SHA_A, ProcessMatch.NoEntry],
    ['two signatures, first', '/usr/local/bin/signed', SHA_A, ProcessMatch.Match],
    ['two signatures, second (upper case in config)', '/usr/local/bin/signed', SHA_B, ProcessMatch.Match],
    ['two signatures, neither', '/usr/local/bin/signed', 'c'.repeat(64), ProcessMatch.SignatureMismatch],
  ])('%s: %s', (_name, exe, sha, expected) => {
    expect(processSetMatch(set, splitPath(normalisePath(exe)), sha)).toBe(expected);
  });

  test('no executable matches nothing', () => {
    expect(processSetMatch(set, null, undefined)).toBe(ProcessMatch.NoEntry);
  });

  test('a signature anywhere in the set asks for hashes', () => {
    expect(set.needsSha256).toBe(true);
    expect(compileProcessSet(processSet('x', [['/bin', 'ls']])).needsSha256).toBe(false);
  });
});

describe('resource sets', () => {
  const set = compileResourceSet(resourceSet('r', [
    ['/db', '*.ibd'],
    ['/logs', '*.log', true],
    ['/', 'top.txt'],
    ['/share/', '*', true],
  ]));

  test.each<[string, string, boolean, boolean]>([
    ['file in the directory', '/db/t1.ibd', false, true],
    ['pattern mismatch', '/db/t1.frm', false, false],
    ['no subfolders', '/db/sub/t1.ibd', false, false],
    ['directory name prefix', '/dbx/t1.ibd', false, false],
    ['subfolders: directly', '/logs/a.log', false, true],
    ['subfolders: deep', '/logs/2026/12/a.log', false, true],
    ['subfolders: pattern still applies', '/logs/2026/a.txt', false, false],
    ['root entry', '/top.txt', false, true],
    ['root entry is not recursive', '/db/top.txt', false, false],
    ['everything below share', '/share/a/b/c', false, true],
    ['share itself as a file name in /', '/share', false, false],
    ['directory: container of its entries', '/db', true, true],
    ['directory: below a non-recursive entry', '/db/sub', true, false],
    ['directory: as a name in a recursive entry', '/share/docs', true, true],
    ['directory: below a recursive entry, pattern mismatch', '/logs/2026', true, true],
    ['directory: root is the container of top.txt', '/', true, true],
    ['directory: prefix of an entry directory', '/lo', true, false],
    ['directory: named like a matching file', '/db/x.ibd', true, true],
  ])('%s: %s (dir %s) -> %s', (_name, path, isDirectory, expected) => {
    expect(resourceSetHas(set, splitPath(path), isDirectory)).toBe(expected);
  });

  test('the guard point root as a file request matches no entry', () => {
    expect(resourceSetHas(set, splitPath('/'), false)).toBe(false);
  });
});

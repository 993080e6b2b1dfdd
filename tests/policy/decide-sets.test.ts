// Decisions that depend on set contents: signatures, key rules, users, and
// the per-request marks that decide() reuses.
import { compilePolicy } from '../../src/policy/compile';
import { decide } from '../../src/policy/decide';
import type { FineAction } from '../../src/config/types';
import { config, decideWith, keyRule, processSet, request, resolver, resourceSet, rule, userSet, type ConfigParts } from './helpers';

const SHA = 'c'.repeat(64);

describe('signatures', () => {
  const parts: ConfigParts = {
    processSets: [processSet('db', [['/usr/sbin', 'mariadbd', SHA]])],
    rules: [rule({ processSet: 'db', effects: ['permit'] }), rule({ effects: ['deny', 'audit'] })],
  };

  test.each<[string, string | null | undefined, boolean, number]>([
    ['matching SHA-256', SHA, true, 0],
    ['mismatching SHA-256', 'd'.repeat(64), false, 1],
    ['unreadable binary', null, false, 1],
    ['hash not computed', undefined, false, 1],
  ])('%s', (_name, exeSha256, permit, ruleIndex) => {
    const decision = decideWith(parts, { exe: '/usr/sbin/mariadbd', exeSha256 });
    expect(decision).toMatchObject({ permit, ruleIndex });
  });

  test('the compiled configuration says hashes are needed', () => {
    expect(compilePolicy(config(parts), resolver).needsExeSha256).toBe(true);
  });
});

describe('key rules', () => {
  const parts = (keyRules: ConfigParts['keyRules']): ConfigParts => ({
    resourceSets: [resourceSet('db', [['/db', '*', true]]), resourceSet('tmp', [['/db/tmp', '*', true]])],
    rules: [rule({ effects: ['permit', 'applykey'] })],
    keyRules,
  });

  test.each<[string, ConfigParts['keyRules'], string, string | null, boolean]>([
    ['first matching key rule wins', [keyRule('tmp', 'clear_key'), keyRule('db', 'dbkey')], '/db/tmp/x', null, false],
    ['later rule when the first does not match', [keyRule('tmp', 'clear_key'), keyRule('db', 'dbkey')], '/db/x', 'dbkey', true],
    ['order matters', [keyRule('db', 'dbkey'), keyRule('tmp', 'clear_key')], '/db/tmp/x', 'dbkey', true],
    ['no key rule matches: not encrypted', [keyRule('db', 'dbkey')], '/other', null, false],
    ['no key rules at all', [], '/db/x', null, false],
    ['a key rule without a resource set covers all', [keyRule(null, 'all')], '/other', 'all', true],
  ])('%s', (_name, keyRules, path, keyName, applyKey) => {
    expect(decideWith(parts(keyRules), { path })).toMatchObject({ keyName, applyKey });
  });
});

describe('users', () => {
  const parts: ConfigParts = {
    userSets: [userSet('byname', { users: ['alice'] }), userSet('bygroup', { groups: ['dev'] })],
    rules: [
      rule({ userSet: 'byname', effects: ['permit'] }),
      rule({ userSet: 'bygroup', effects: ['permit', 'audit'] }),
    ],
  };

  test.each<[string, Parameters<typeof request>[0], number | null]>([
    ['uid of alice', { uid: 1001, userName: 'alice' }, 0],
    ['the name in the request is not trusted', { uid: 1002, gid: 1002, groups: [], userName: 'alice' }, null],
    ['group dev as a supplementary group', { uid: 1002, gid: 1002, groups: [2001] }, 1],
    ['group dev as the primary group', { uid: 5000, gid: 2001, groups: [] }, 1],
    ['neither', { uid: 5000, gid: 5000, groups: [5000] }, null],
  ])('%s', (_name, fields, ruleIndex) => {
    expect(decideWith(parts, fields).ruleIndex).toBe(ruleIndex);
  });
});

describe('database guard point (field scenario)', () => {
  const parts: ConfigParts = {
    processSets: [processSet('mariadb', [['/usr/sbin', 'mariadbd']])],
    resourceSets: [resourceSet('datadir', [['/', '*', true]])],
    rules: [
      rule({ processSet: 'mariadb', resourceSet: 'datadir', effects: ['permit', 'applykey'] }),
      rule({ effects: ['deny', 'audit'], browsing: true }),
    ],
    keyRules: [keyRule('datadir', 'dbkey')],
  };

  test.each<[string, FineAction, boolean, boolean]>([
    ['/usr/sbin/mariadbd', 'f_wr', true, true],
    ['/usr/sbin/mariadbd-safe', 'f_rd', false, false],
    ['/usr/sbin/not-mariadbd', 'f_rd', false, false],
    ['/tmp/usr/sbin/mariadbd', 'f_rd', false, false],
    ['/usr/bin/cat', 'f_rd', false, false],
    ['/usr/bin/cat', 'f_rd_att', true, false],
  ])('%s %s: permit %s, applyKey %s', (exe, action, permit, applyKey) => {
    expect(decideWith(parts, { exe, action, path: '/ibdata1' })).toMatchObject({ permit, applyKey });
  });
});

describe('marks between requests', () => {
  const parts: ConfigParts = {
    userSets: [userSet('bob', { users: ['bob'] })],
    processSets: [processSet('vim', [['/usr/bin', 'vim']])],
    resourceSets: [resourceSet('secret', [['/secret', '*', true]]), resourceSet('none', [])],
    rules: [rule({ userSet: 'bob', processSet: 'vim', resourceSet: 'secret', effects: ['permit'] })],
    keyRules: [keyRule('none', 'never'), keyRule('secret', 'sk')],
  };
  const compiled = compilePolicy(config(parts), resolver);
  const match = request({ uid: 1002, gid: 1002, groups: [], exe: '/usr/bin/vim', path: '/secret/a' });

  test.each<[string, Parameters<typeof request>[0]]>([
    ['another user', { ...match, uid: 1001, gid: 1001 }],
    ['another executable', { ...match, exe: '/usr/bin/cat' }],
    ['another path', { ...match, path: '/public/a' }],
  ])('a matching request does not leave marks for the next one: %s', (_name, fields) => {
    expect(decide(compiled, match)).toMatchObject({ permit: true, keyName: 'sk' });
    expect(decide(compiled, request(fields))).toMatchObject({ permit: false, ruleIndex: null });
    expect(decide(compiled, match)).toMatchObject({ permit: true, ruleIndex: 0 });
  });

  test('an empty resource set in a key rule matches nothing', () => {
    expect(decide(compiled, match).keyName).toBe('sk');
  });

  test('the generation counter wraps without stale matches', () => {
    (compiled.marks as unknown as { generation: number }).generation = 0xfffffffd;
    const decisions = [match, request({ ...match, uid: 1001 }), match, request({ ...match, uid: 1001 })]
      .map((r) => decide(compiled, r).permit);
    expect(decisions).toEqual([true, false, true, false]);
  });
});

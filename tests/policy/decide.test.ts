import type { Effect, FineAction } from '../../src/config/types';
import type { PolicyDecision } from '../../src/policy/types';
import { decideWith, keyRule, processSet, type request, resourceSet, rule, userSet, type ConfigParts } from './helpers';



type Outcome = Pick<PolicyDecision, 'permit' | 'applyKey' | 'audit' | 'learnMode'>;
const out = (permit: boolean, applyKey: boolean, audit: boolean, learnMode = false): Outcome =>
  ({ permit, applyKey, audit, learnMode });

describe('effects', () => {
  test.each<[Effect[], boolean, Outcome]>([
    [['permit'], false, out(true, false, false)],
    [['permit', 'audit'], false, out(true, false, true)],
    [['permit', 'applykey'], false, out(true, true, false)],
    [['permit', 'audit', 'applykey'], false, out(true, true, true)],
    [['deny'], false, out(false, false, true)],
    [['deny', 'audit'], false, out(false, false, true)],
    [['deny', 'applykey'], false, out(false, false, true)],
    [['deny', 'audit', 'applykey'], false, out(false, false, true)],
    [['audit'], false, out(false, false, true)],
    [['permit'], true, out(true, false, false)],
    [['permit', 'applykey'], true, out(true, true, false)],
    [['deny'], true, out(true, false, true, true)],
    [['deny', 'audit'], true, out(true, false, true, true)],
    [['deny', 'applykey'], true, out(true, true, true, true)],
    [['deny', 'audit', 'applykey'], true, out(true, true, true, true)],
  ])('%j (learn mode %s)', (effects, learnMode, expected) => {
    const decision = decideWith({ rules: [rule({ effects })], keyRules: [keyRule(null, 'k1')], learnMode });
    expect(decision).toMatchObject({ ...expected, ruleIndex: 0, policy: 'p', keyName: 'k1' });
  });

  test('applykey without a key (clear_key) applies nothing', () => {
    const decision = decideWith({ rules: [rule({ effects: ['permit', 'applykey'] })], keyRules: [keyRule(null, 'clear_key')] });
    expect(decision).toMatchObject({ permit: true, applyKey: false, keyName: null });
  });

  test.each<[string, boolean, PolicyDecision]>([
    ['enforced', false, {
      permit: false, applyKey: false, audit: true, ruleIndex: null, policy: 'p', keyName: null, learnMode: false,
      reason: 'no security rule matched f_rd; denied by default', anyObject: false,
    }],
    ['learn mode', true, {
      permit: true, applyKey: false, audit: true, ruleIndex: null, policy: 'p', keyName: null, learnMode: true,
      reason: 'no security rule matched f_rd; learn mode permitted it', anyObject: false,
    }],
  ])('no rule matches: %s', (_name, learnMode, expected) => {
    expect(decideWith({ rules: [rule({ actions: ['write'] })], learnMode })).toEqual(expected);
  });

  test.each([
    [['permit', 'audit'] as Effect[], 'security rule 0 (permit,audit) permitted f_rd'],
    [['deny'] as Effect[], 'security rule 0 (deny) denied f_rd'],
  ])('reason for %j', (effects, reason) => {
    expect(decideWith({ rules: [rule({ effects })] }).reason).toBe(reason);
  });

  test('an unknown guard point is denied and audited', () => {
    expect(decideWith({ rules: [rule({})] }, { guardPoint: '/elsewhere' })).toEqual({
      permit: false, applyKey: false, audit: true, ruleIndex: null, policy: '', keyName: null, learnMode: false,
      reason: 'expected a configured guard point, got /elsewhere; denied',
    });
  });
});

describe('rule order', () => {
  const parts: ConfigParts = {
    userSets: [userSet('alice', { users: ['alice'] })],
    rules: [
      rule({ userSet: 'alice', actions: ['write'], effects: ['deny', 'audit'] }),
      rule({ userSet: 'alice', actions: ['read'], effects: ['permit'] }),
      rule({ actions: ['all_ops'], effects: ['deny'] }),
      rule({ actions: ['all_ops'], effects: ['permit'] }),
    ],
  };

  test.each<[string, FineAction, number, boolean, number | null]>([
    ['alice writes: first rule', 'f_wr', 1001, false, 0],
    ['alice reads: first rule skipped by action', 'f_rd', 1001, true, 1],
    ['bob reads: catch-all deny before the permit', 'f_rd', 1002, false, 2],
    ['key_op covers nothing, all_ops does', 'd_mknod', 1002, false, 2],
  ])('%s', (_name, action, uid, permit, ruleIndex) => {
    expect(decideWith(parts, { action, uid, gid: uid, groups: [] })).toMatchObject({ permit, ruleIndex });
  });

  test('a key_op rule never decides a file operation', () => {
    const decision = decideWith({ rules: [rule({ actions: ['key_op'], effects: ['permit'] })] }, { action: 'f_rd' });
    expect(decision).toMatchObject({ permit: false, ruleIndex: null });
  });
});

describe('exclusions', () => {
  const parts = (flags: { u?: boolean; p?: boolean; r?: boolean }): ConfigParts => ({
    userSets: [userSet('admins', { users: ['bob'] })],
    processSets: [processSet('shells', [['/usr/bin', 'bash']])],
    resourceSets: [resourceSet('secret', [['/secret', '*', true]])],
    rules: [rule({
      userSet: 'admins', processSet: 'shells', resourceSet: 'secret',
      excludeUserSet: flags.u ?? false, excludeProcessSet: flags.p ?? false, excludeResourceSet: flags.r ?? false,
      effects: ['permit'],
    })],
  });
  const bobBash = { uid: 1002, gid: 1002, groups: [], exe: '/usr/bin/bash', path: '/secret/a' };

  test.each<[string, { u?: boolean; p?: boolean; r?: boolean }, Parameters<typeof request>[0], boolean]>([
    ['all included, all match', {}, bobBash, true],
    ['exclude user: bob is in the set', { u: true }, bobBash, false],
    ['exclude user: alice is not', { u: true }, { ...bobBash, uid: 1001, gid: 1001 }, true],
    ['exclude process: bash is in the set', { p: true }, bobBash, false],
    ['exclude process: cat is not', { p: true }, { ...bobBash, exe: '/usr/bin/cat' }, true],
    ['exclude process: no executable is not in the set', { p: true }, { ...bobBash, exe: '' }, true],
    ['exclude resource: /secret/a is in the set', { r: true }, bobBash, false],
    ['exclude resource: /public/a is not', { r: true }, { ...bobBash, path: '/public/a' }, true],
    ['exclude all three, none in the sets', { u: true, p: true, r: true }, { uid: 1001, exe: '/bin/sh', path: '/x' }, true],
  ])('%s', (_name, flags, fields, permit) => {
    expect(decideWith(parts(flags), fields).permit).toBe(permit);
  });

  test('an excluded user set whose names do not resolve matches everyone', () => {
    const decision = decideWith({
      userSets: [userSet('ghosts', { users: ['nobody-here'] })],
      rules: [rule({ userSet: 'ghosts', excludeUserSet: true })],
    });
    expect(decision.permit).toBe(true);
  });

  test('an empty set imposes nothing, excluded or not', () => {
    const decision = decideWith({
      userSets: [userSet('none', {})],
      rules: [rule({ userSet: 'none', excludeUserSet: true })],
    });
    expect(decision.permit).toBe(true);
  });
});

describe('browsing', () => {
  const deny = (browsing: boolean) => ({ rules: [rule({ actions: ['all_ops'], effects: ['deny', 'audit'] as Effect[], browsing })] });
  const readOnly = (browsing: boolean) => ({ rules: [rule({ actions: ['f_rd'], effects: ['permit', 'applykey'] as Effect[], browsing })], keyRules: [keyRule(null, 'k')] });

  test.each<[string, ConfigParts, FineAction, boolean, Partial<PolicyDecision>]>([
    ['deny rule with browsing lists the directory', deny(true), 'd_rd', true, { permit: true, applyKey: false, audit: true, ruleIndex: 0 }],
    ['deny rule with browsing reads directory attributes', deny(true), 'd_rd_att', true, { permit: true, ruleIndex: 0 }],
    ['deny rule with browsing reads file attributes', deny(true), 'f_rd_att', false, { permit: true, ruleIndex: 0 }],
    ['deny rule with browsing does not read contents', deny(true), 'f_rd', false, { permit: false, ruleIndex: 0 }],
    ['deny rule with browsing does not read security labels', deny(true), 'd_rd_sec', true, { permit: false, ruleIndex: 0 }],
    ['deny rule with browsing does not change attributes', deny(true), 'f_chg_att', false, { permit: false, ruleIndex: 0 }],
    ['deny rule without browsing denies listing', deny(false), 'd_rd', true, { permit: false, ruleIndex: 0 }],
    ['f_rd rule with browsing lists', readOnly(true), 'd_rd', true, { permit: true, applyKey: false, audit: false, ruleIndex: 0 }],
    ['f_rd rule without browsing does not cover listing', readOnly(false), 'd_rd', true, { permit: false, ruleIndex: null }],
    ['f_rd rule with browsing still applies the key on reads', readOnly(true), 'f_rd', false, { permit: true, applyKey: true }],
  ])('%s', (_name, parts, action, isDirectory, expected) => {
    expect(decideWith(parts, { action, isDirectory, path: isDirectory ? '/dir' : '/dir/f' })).toMatchObject(expected);
  });

  test('browsing reason', () => {
    expect(decideWith(deny(true), { action: 'd_rd', isDirectory: true }).reason)
      .toBe('security rule 0 (deny,audit) allows browsing: d_rd permitted without contents');
  });

  test('browsing does not survive a set mismatch', () => {
    const parts: ConfigParts = {
      userSets: [userSet('bob', { users: ['bob'] })],
      rules: [rule({ userSet: 'bob', effects: ['deny'], browsing: true })],
    };
    expect(decideWith(parts, { action: 'd_rd', isDirectory: true })).toMatchObject({ permit: false, ruleIndex: null });
  });

  test('in learn mode a browsing deny rule still denies contents but lets them through flagged', () => {
    expect(decideWith({ ...deny(true), learnMode: true }, { action: 'f_rd' })).toMatchObject({
      permit: true, learnMode: true, audit: true, reason: 'security rule 0 (deny,audit) denied f_rd; learn mode permitted it',
    });
  });
});

describe('anyObject: a decision that holds for every object of the guard point', () => {
  const sets = {
    userSets: [userSet('admins', { users: ['bob'] }), userSet('alice', { users: ['alice'] })],
    processSets: [processSet('shells', [['/usr/bin', 'bash']])],
    resourceSets: [resourceSet('secret', [['/secret', '*', true]])],
  };

  test.each<[string, ConfigParts, boolean]>([
    ['a rule without a resource set', { ...sets, rules: [rule({})] }, true],
    ['a rule with a resource set that holds the path',
      { ...sets, rules: [rule({ resourceSet: 'secret' })] }, false],
    ['an earlier rule with a resource set, for another user',
      { ...sets, rules: [rule({ userSet: 'admins', resourceSet: 'secret', effects: ['deny'] }), rule({})] }, true],
    ['an earlier rule with a resource set, for another process',
      { ...sets, rules: [rule({ processSet: 'shells', resourceSet: 'secret', effects: ['deny'] }), rule({})] }, true],
    ['an earlier rule with a resource set the path is not in, for this user',
      { ...sets, rules: [rule({ userSet: 'alice', resourceSet: 'secret', effects: ['deny'] }), rule({})] }, false],
    ['an earlier excluded resource set',
      { ...sets, rules: [rule({ resourceSet: 'secret', excludeResourceSet: true, actions: ['write'] }), rule({})] }, true],
    ['a rule after the deciding one does not count',
      { ...sets, rules: [rule({}), rule({ resourceSet: 'secret', effects: ['deny'] })] }, true],
    ['applykey, key rule for every file', { ...sets, rules: [rule({ effects: ['permit', 'applykey'] })], keyRules: [keyRule(null, 'k1')] }, true],
    ['applykey, no key rule', { ...sets, rules: [rule({ effects: ['permit', 'applykey'] })] }, true],
    ['applykey, first key rule has a resource set',
      { ...sets, rules: [rule({ effects: ['permit', 'applykey'] })], keyRules: [keyRule('secret', 'k2'), keyRule(null, 'k1')] }, false],
    ['no applykey, key rule with a resource set',
      { ...sets, rules: [rule({ effects: ['permit'] })], keyRules: [keyRule('secret', 'k2')] }, true],
    ['an audited permit', { ...sets, rules: [rule({ effects: ['permit', 'audit'] })] }, false],
    ['a deny (always audited)', { ...sets, rules: [rule({ effects: ['deny'] })] }, false],
    ['learn mode', { ...sets, rules: [rule({})], learnMode: true }, false],
  ])('%s', (_name, parts, expected) => {
    expect(decideWith(parts, { path: '/docs/a.txt' }).anyObject).toBe(expected);
  });

  test('the answer does not change with the path when anyObject is true', () => {
    const parts: ConfigParts = { ...sets, rules: [rule({ userSet: 'admins', resourceSet: 'secret', effects: ['deny'] }), rule({ effects: ['permit', 'applykey'] })], keyRules: [keyRule(null, 'k1')] };
    const paths = ['/docs/a.txt', '/secret/b', '/', '/x/y/z'];
    const decisions = paths.map((path) => decideWith(parts, { path }));
    for (const d of decisions) expect(d).toMatchObject({ anyObject: true, permit: true, applyKey: true });
  });
});

import { compilePolicy } from '../../src/policy/compile';
import { decide, keyChoiceFor, pathFreeKeyChoice } from '../../src/policy/decide';
import { config, GUARD_POINT, keyRule, resolver, resourceSet, rule } from './helpers';

const compiled = compilePolicy(config({
  rules: [rule({ effects: ['permit', 'applykey'] })],
  resourceSets: [
    resourceSet('db', [['/db', '*.ibd', true]]),
    resourceSet('logs', [['/logs', '*', false]]),
  ],
  keyRules: [keyRule('db', 'db-key'), keyRule('logs', 'clear_key'), keyRule(null, 'default-key')],
}), resolver);

describe('keyChoiceFor', () => {
  test.each([
    ['the first matching key rule', GUARD_POINT, 'x', '/db/a/t.ibd', { policy: 'p', keyName: 'db-key' }],
    ['clear_key is not encrypted', GUARD_POINT, 'x', '/logs/today', { policy: 'p', keyName: null }],
    ['a rule for every resource last', GUARD_POINT, 'x', '/other.txt', { policy: 'p', keyName: 'default-key' }],
    ['the guard point entry wins over policy=', GUARD_POINT, 'nope', '/db/t.ibd', { policy: 'p', keyName: 'db-key' }],
    ['policy= serves a guard point the configuration lacks', '/mnt/manual', 'p', '/db/t.ibd', { policy: 'p', keyName: 'db-key' }],
    ['neither known: no policy', '/mnt/manual', 'nope', '/db/t.ibd', { policy: null, keyName: null }],
  ])('%s', (_name, guardPoint, policyName, path, expected) => {
    expect(keyChoiceFor(compiled, guardPoint, policyName, path)).toEqual(expected);
  });

  test('agrees with decide() on the key name', () => {
    const decision = decide(compiled, {
      guardPoint: GUARD_POINT, path: '/db/x/y.ibd', isDirectory: false, action: 'f_wr', uid: 1001, gid: 1001, groups: [], exe: '/usr/bin/cat', pid: 1,
    });
    expect(decision.keyName).toBe(keyChoiceFor(compiled, GUARD_POINT, '', '/db/x/y.ibd').keyName);
  });
});

describe('pathFreeKeyChoice', () => {
  const only = (keyRules: ReturnType<typeof keyRule>[]) => compilePolicy(config({
    rules: [rule({ effects: ['permit', 'applykey'] })],
    resourceSets: [resourceSet('db', [['/db', '*', true]])],
    keyRules,
  }), resolver);

  test.each([
    ['one key rule for every resource', [keyRule(null, 'k')], GUARD_POINT, 'x', { policy: 'p', keyName: 'k' }],
    ['a rule for every resource before a narrower one', [keyRule(null, 'k'), keyRule('db', 'db-key')], GUARD_POINT, 'x', { policy: 'p', keyName: 'k' }],
    ['policy= serves a guard point the configuration lacks', [keyRule(null, 'k')], '/mnt/manual', 'p', { policy: 'p', keyName: 'k' }],
    ['a narrower rule first: the path decides', [keyRule('db', 'db-key'), keyRule(null, 'k')], GUARD_POINT, 'x', null],
    ['clear_key for every resource: no key', [keyRule(null, 'clear_key')], GUARD_POINT, 'x', null],
    ['no key rule', [], GUARD_POINT, 'x', null],
    ['no policy', [keyRule(null, 'k')], '/mnt/manual', 'nope', null],
  ])('%s', (_name, keyRules, guardPoint, policyName, expected) => {
    const compiledOnly = only(keyRules);
    expect(pathFreeKeyChoice(compiledOnly, guardPoint, policyName)).toEqual(expected);
    // Whenever there is one, every path gets it.
    if (expected !== null) {
      for (const path of ['/a', '/db/x', '/deep/er/file']) expect(keyChoiceFor(compiledOnly, guardPoint, policyName, path)).toEqual(expected);
    }
  });

  test('the configuration with path-dependent rules has none', () => {
    expect(pathFreeKeyChoice(compiled, GUARD_POINT, 'x')).toBeNull();
  });
});

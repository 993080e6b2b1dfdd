import type { Config } from '../../src/config/types';
import { isTakakryptError } from '../../src/errors';
import { compilePolicy } from '../../src/policy/compile';
import { findGuardPoint } from '../../src/policy/guard-points';
import { at, config, processSet, resolver, resourceSet, rule, userSet, keyRule } from './helpers';

function compileError(cfg: Config): { code: string; message: string } {
  try {
    compilePolicy(cfg, resolver);
  } catch (err) {
    if (isTakakryptError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected compilePolicy to throw');
}

describe('compile errors', () => {
  test.each<[string, Config, string, string]>([
    ['unknown user set', config({ rules: [rule({ userSet: 'ghosts' })] }),
      'POLICY_SET_UNKNOWN', 'test.yaml:1:1: expected a defined user set, got "ghosts"'],
    ['unknown process set', config({ rules: [rule({ processSet: 'ghosts' })] }),
      'POLICY_SET_UNKNOWN', 'test.yaml:1:1: expected a defined process set, got "ghosts"'],
    ['unknown resource set in a key rule', config({ rules: [], keyRules: [keyRule('ghosts', 'k')] }),
      'POLICY_SET_UNKNOWN', 'test.yaml:1:1: expected a defined resource set, got "ghosts"'],
    ['permit and deny', config({ rules: [rule({ effects: ['permit', 'deny'] })] }),
      'POLICY_EFFECT_CONFLICT', 'test.yaml:1:1: policy p rule 0: expected permit or deny, got both'],
    ['invalid resource pattern', config({ resourceSets: [resourceSet('bad', [['/', '[z-a]']])], rules: [] }),
      'POLICY_PATTERN_INVALID', 'test.yaml:1:1: resource set bad: expected valid file patterns, got: Invalid regular expression: /^[z-a]$/: Range out of order in character class'],
    ['invalid process pattern', config({ processSets: [processSet('bad', [['/bin', 'x[9-0]']])], rules: [] }),
      'POLICY_PATTERN_INVALID', 'test.yaml:1:1: process set bad: expected valid file patterns, got: Invalid regular expression: /^[9-0]$/: Range out of order in character class'],
    ['guard point with an unknown policy', { ...config({ rules: [] }), guardPoints: [{ path: '/x', policy: 'nope', mode: 'auto', position: at }] },
      'POLICY_UNKNOWN', 'test.yaml:1:1: guard point /x: expected a defined policy, got "nope"'],
  ])('%s', (_name, cfg, code, message) => {
    expect(compileError(cfg)).toEqual({ code, message });
  });
});

describe('compile warnings', () => {
  test.each<[string, Config, string[]]>([
    ['exclude without a set', config({ rules: [rule({ excludeUserSet: true })] }), ['POLICY_EXCLUDE_WITHOUT_SET']],
    ['exclude of an empty set', config({ processSets: [processSet('none', [])], rules: [rule({ processSet: 'none', excludeProcessSet: true })] }), ['POLICY_EXCLUDE_WITHOUT_SET']],
    ['neither permit nor deny', config({ rules: [rule({ effects: ['audit'] })] }), ['POLICY_EFFECT_DEFAULTED']],
    ['unresolved user', config({ userSets: [userSet('u', { users: ['zed'] })], rules: [] }), ['POLICY_NAME_UNRESOLVED']],
    ['clean', config({ userSets: [userSet('u', { users: ['alice'] })], rules: [rule({ userSet: 'u' })] }), []],
  ])('%s', (_name, cfg, codes) => {
    expect(compilePolicy(cfg, resolver).warnings.map((w) => w.code)).toEqual(codes);
  });

  test('warnings go to the injected logger', () => {
    const logged: unknown[] = [];
    const logger = { warn: (entry: unknown) => logged.push(entry) } as never;
    compilePolicy(config({ rules: [rule({ effects: ['audit'] })] }), resolver, { logger });
    expect(logged).toEqual([{
      code: 'POLICY_EFFECT_DEFAULTED', at: 'test.yaml:1:1', message: 'policy compile warning',
      detail: 'policy p rule 0: expected permit or deny, got neither; the rule denies',
    }]);
  });
});

describe('compiled form', () => {
  test('rules are indexed per action, browsing rules under browsing actions', () => {
    const compiled = compilePolicy(config({
      rules: [rule({ actions: ['write'] }), rule({ actions: ['f_rd'], browsing: true }), rule({ actions: ['all_ops'] })],
    }), resolver);
    const policy = compiled.guardPoints.get('/srv/data');
    const indexes = (action: Parameters<NonNullable<typeof policy>['rulesByAction']['get']>[0]) =>
      policy?.rulesByAction.get(action)?.map((r) => r.index);
    expect([indexes('f_wr'), indexes('f_rd'), indexes('d_rd'), indexes('d_rd_sec')]).toEqual([[0, 2], [1, 2], [1, 2], [2]]);
  });

  test('sets are shared between rules', () => {
    const compiled = compilePolicy(config({
      userSets: [userSet('u', { uids: [1] })],
      rules: [rule({ userSet: 'u' }), rule({ userSet: 'u' })],
    }), resolver);
    const rules = compiled.policies.get('p')?.rules ?? [];
    expect(rules[0].userSet).toBe(rules[1].userSet);
  });
});

describe('findGuardPoint', () => {
  const compiled = compilePolicy({
    ...config({ rules: [] }),
    guardPoints: [
      { path: '/srv/data', policy: 'p', mode: 'auto', position: at },
      { path: '/srv/db/', policy: 'p', mode: 'manual', position: at },
    ],
  }, resolver);

  test.each([
    ['/srv/data/a/b', { guardPoint: '/srv/data', path: '/a/b' }],
    ['/srv/data', { guardPoint: '/srv/data', path: '/' }],
    ['/srv/db/x', { guardPoint: '/srv/db', path: '/x' }],
    ['/srv/data/../db/y', { guardPoint: '/srv/db', path: '/y' }],
    ['/srv/database/x', null],
    ['/srv', null],
  ])('%s', (path, expected) => {
    expect(findGuardPoint(compiled, path)).toEqual(expected);
  });
});

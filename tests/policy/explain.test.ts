import { compilePolicy } from '../../src/policy/compile';
import { explainDecision } from '../../src/policy/explain';
import { config, processSet, request, resolver, resourceSet, rule, userSet } from './helpers';

const SHA = 'e'.repeat(64);

const compiled = compilePolicy(config({
  userSets: [userSet('bobs', { users: ['bob'] }), userSet('alices', { users: ['alice'] })],
  processSets: [processSet('signed', [['/usr/bin', 'cat', SHA]]), processSet('editors', [['/usr/bin', 'vim']])],
  resourceSets: [resourceSet('secret', [['/secret', '*', true]])],
  rules: [
    rule({ actions: ['write'] }),
    rule({ userSet: 'bobs' }),
    rule({ userSet: 'alices', excludeUserSet: true }),
    rule({ processSet: 'signed' }),
    rule({ processSet: 'editors' }),
    rule({ processSet: 'editors', excludeProcessSet: true, resourceSet: 'secret' }),
    rule({ resourceSet: 'secret', excludeResourceSet: true, effects: ['deny', 'audit'] }),
    rule({ effects: ['permit'] }),
  ],
}), resolver);

test('every rule up to the deciding one says why', () => {
  const { decision, rules } = explainDecision(compiled, request({ path: '/public/a', exeSha256: 'f'.repeat(64) }));
  expect(decision).toMatchObject({ permit: false, ruleIndex: 6 });
  expect(rules).toEqual([
    { index: 0, matched: false, why: 'actions write do not cover f_rd' },
    { index: 1, matched: false, why: 'user set bobs does not contain uid 1001 or gids 1001,2001,2002' },
    { index: 2, matched: false, why: 'excluded user set alices contains uid 1001 or gids 1001,2001,2002' },
    { index: 3, matched: false, why: `process set signed lists /usr/bin/cat only with a SHA-256 the binary does not have (${'f'.repeat(64)})` },
    { index: 4, matched: false, why: 'process set editors does not contain /usr/bin/cat' },
    { index: 5, matched: false, why: 'resource set secret does not contain /public/a' },
    { index: 6, matched: true, why: 'every set matches' },
  ]);
});

const excluding = compilePolicy(config({
  processSets: [processSet('signed', [['/usr/bin', 'cat', SHA]]), processSet('editors', [['/usr/bin', 'vim']])],
  resourceSets: [resourceSet('secret', [['/secret', '*', true]])],
  rules: [
    rule({ processSet: 'signed' }),
    rule({ processSet: 'editors', excludeProcessSet: true, resourceSet: 'secret' }),
    rule({ resourceSet: 'secret', excludeResourceSet: true }),
  ],
}), resolver);

test.each([
  [{ exe: '/usr/bin/vim', path: '/secret/x' }, 1, 'excluded process set editors contains /usr/bin/vim'],
  [{ exe: '/usr/bin/vim', path: '/secret/x', isDirectory: true }, 2, 'excluded resource set secret contains /secret/x (directory)'],
  [{ exe: '', path: '/secret/x' }, 0, 'process set signed does not contain (no executable)'],
  [{ exe: '/usr/bin/cat', path: '/secret/x' }, 0, 'process set signed lists /usr/bin/cat only with a SHA-256 the binary does not have (not computed)'],
  [{ exe: '/usr/bin/cat', path: '/secret/x', exeSha256: null }, 0, 'process set signed lists /usr/bin/cat only with a SHA-256 the binary does not have (unreadable)'],
])('mismatch text for %j', (fields, index, why) => {
  const { rules } = explainDecision(excluding, request(fields));
  expect(rules[index]).toEqual({ index, matched: false, why });
});

test('an unknown guard point explains no rules', () => {
  expect(explainDecision(compiled, request({ guardPoint: '/nope' })).rules).toEqual([]);
});

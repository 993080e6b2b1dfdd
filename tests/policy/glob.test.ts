import { compileNamePattern, matchName } from '../../src/policy/glob';
import { isWithin, normalisePath, splitPath } from '../../src/policy/paths';

describe('file-name patterns', () => {
  test.each<[string, string, boolean]>([
    ['*', 'anything.txt', true],
    ['*', '.hidden', true],
    ['*.db', 'a.db', true],
    ['*.db', '.db', true],
    ['*.db', 'a.db.bak', false],
    ['*.db', 'a.dbx', false],
    ['mariadbd', 'mariadbd', true],
    ['mariadbd', 'mariadbd-safe', false],
    ['mariadbd', 'not-mariadbd', false],
    ['mariadbd', 'mariadb', false],
    ['ib?ata1', 'ibdata1', true],
    ['ib?ata1', 'ibddata1', false],
    ['log[0-9]', 'log7', true],
    ['log[0-9]', 'logx', false],
    ['log[!0-9]', 'logx', true],
    ['log[^0-9]', 'log3', false],
    ['[]]x', ']x', true],
    ['a[b', 'a[b', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['(x)+', 'xx', false],
    ['*', 'a/b', true],
    ['a*', 'a/b', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(matchName(compileNamePattern(pattern), name)).toBe(expected);
  });

  test.each([
    ['plain', { kind: 'exact', name: 'plain' }],
    ['a\\*b', { kind: 'exact', name: 'a*b' }],
    ['*', { kind: 'any' }],
  ])('%s compiles to a fast form', (pattern, expected) => {
    expect(compileNamePattern(pattern)).toEqual(expected);
  });

  test('a reversed range is rejected by the RegExp engine', () => {
    expect(() => compileNamePattern('[z-a]')).toThrow('Invalid regular expression: /^[z-a]$/: Range out of order in character class');
  });
});

describe('paths', () => {
  test.each([
    ['/a/b', '/a/b'], ['/a//b/', '/a/b'], ['/a/./b', '/a/b'], ['/a/../b', '/b'], ['/..', '/'],
    ['a/b', '/a/b'], ['', '/'], ['/', '/'], ['/a/.b', '/a/.b'], ['/a/..b', '/a/..b'],
  ])('normalise %j -> %s', (input, expected) => {
    expect(normalisePath(input)).toBe(expected);
  });

  test.each([
    ['/', { path: '/', parent: null, name: '', above: [] }],
    ['/a', { path: '/a', parent: '/', name: 'a', above: [] }],
    ['/a/b/c', { path: '/a/b/c', parent: '/a/b', name: 'c', above: ['/a', '/'] }],
  ])('split %s', (input, expected) => {
    expect(splitPath(input)).toEqual(expected);
  });

  test.each<[string, string, boolean]>([
    ['/srv/data', '/srv/data', true],
    ['/srv/data', '/srv/data/x', true],
    ['/srv/data', '/srv/database', false],
    ['/srv/data', '/srv', false],
    ['/', '/anything', true],
  ])('%s holds %s: %s', (root, path, expected) => {
    expect(isWithin(root, path)).toBe(expected);
  });
});

describe('pattern matching cost', () => {
  // A backtracking RegExp needs exponential time for these; the matcher
  // must answer at once. The assertion is on the answer, not on time: a
  // regression shows up as a test that never finishes.
  test.each([2, 4, 8, 16])('%d stars against a 255-character name', (stars) => {
    const pattern = compileNamePattern(`${'*a'.repeat(stars)}*[b]c`);
    expect(matchName(pattern, `${'a'.repeat(254)}c`)).toBe(false);
    expect(matchName(pattern, `${'a'.repeat(stars)}bc`)).toBe(true);
  });

  test.each<[string, string, boolean]>([
    ['*x*', 'axb', true], ['*x*', 'ab', false], ['a*b*c', 'abbbc', true], ['a*b*c', 'acb', false],
    ['*?', '', false], ['*?', 'a', true], ['?*?', 'a', false], ['**', 'abc', true], ['a**', 'a', true],
  ])('%s against %j: %s', (pattern, name, expected) => {
    expect(matchName(compileNamePattern(pattern), name)).toBe(expected);
  });
});

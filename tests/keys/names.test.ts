import { parseKeySpec, validateKeyName } from '../../src/keys/names';
import { TakakryptError } from '../../src/errors';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof TakakryptError ? err.code : 'OTHER';
  }
}

describe('validateKeyName', () => {
  test.each(['a', 'Z9', 'docs-key', 'db.v2', 'x_y', '0' + 'a'.repeat(63)])('accepts %s', (name) => {
    expect(codeOf(() => validateKeyName(name))).toBeNull();
  });

  test.each([
    ['', 'KEYS_NAME_INVALID'],
    ['-lead', 'KEYS_NAME_INVALID'],
    ['.hidden', 'KEYS_NAME_INVALID'],
    ['a/b', 'KEYS_NAME_INVALID'],
    ['../etc', 'KEYS_NAME_INVALID'],
    ['sp ace', 'KEYS_NAME_INVALID'],
    ['a'.repeat(65), 'KEYS_NAME_INVALID'],
    ['clear_key', 'KEYS_NAME_RESERVED'],
  ])('rejects %j with %s', (name, code) => {
    expect(codeOf(() => validateKeyName(name))).toBe(code);
  });

  test('message says what was expected and what was found', () => {
    expect(() => validateKeyName('a/b')).toThrow(
      'expected a key name of 1 to 64 characters from A-Z a-z 0-9 . _ - starting with a letter or digit, got "a/b"',
    );
  });
});

describe('parseKeySpec', () => {
  test.each([
    ['docs', { name: 'docs' }],
    ['docs:1', { name: 'docs', version: 1 }],
    ['db.v2:17', { name: 'db.v2', version: 17 }],
  ])('parses %s', (text, spec) => {
    expect(parseKeySpec(text)).toEqual(spec);
  });

  test.each(['docs:', 'docs:0', 'docs:-1', 'docs:x', ':3', 'clear_key:1'])('rejects %s', (text) => {
    expect(codeOf(() => parseKeySpec(text))).toMatch(/^KEYS_NAME_(INVALID|RESERVED)$/);
  });
});

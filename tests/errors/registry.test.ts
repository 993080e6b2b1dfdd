import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createError, errorCodes, isTakakryptError, TakakryptError } from '../../src/errors';

const doc = readFileSync(join(__dirname, '../../docs/ERRORS.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^### ([A-Z0-9_]+)\s*$/gm)].map((m) => m[1]));
const codes = Object.keys(errorCodes);

describe('error registry', () => {
  test('has codes', () => {
    expect(codes.length).toBeGreaterThan(0);
  });

  test.each(codes)('%s is documented in docs/ERRORS.md', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  test.each([...documented])('documented %s exists in the registry', (code) => {
    expect(codes).toContain(code);
  });

  test.each(codes)('%s is UPPER_SNAKE_CASE with a one-line summary', (code) => {
    expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    const summary = (errorCodes as Record<string, string>)[code];
    expect(summary.length).toBeGreaterThan(0);
    expect(summary).not.toContain('\n');
  });

  test('createError carries the code and details', () => {
    const code = codes[0] as keyof typeof errorCodes;
    const err = createError(code, 'expected x, got y', { where: 'here' });
    expect(err).toBeInstanceOf(TakakryptError);
    expect(err.code).toBe(code);
    expect(err.details).toEqual({ where: 'here' });
    expect(isTakakryptError(err, code)).toBe(true);
    expect(isTakakryptError(new Error('plain'))).toBe(false);
  });
});

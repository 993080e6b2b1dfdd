// Damaged configurations never make the checker throw: each mutation of an
// example yields located problems or a valid Config, never both or neither.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfigText } from '../../src/config/load';

const EXAMPLES = ['office.yaml', 'database.yaml', 'demo.yaml'].map((name) =>
  readFileSync(join(__dirname, '../../configs', name), 'utf8'),
);

const TOKENS = [
  '', ' ', '\n', ':', '-', '[', ']', '{', '}', ',', '"', '*', '&a', '*a', 'null', '~', '-1', '1e999',
  'true', '!!binary', '? ', '|', '#', '..', '/', '\t', '__proto__', 'constructor', '\u0000', 'é', '4294967295',
];

// A small deterministic generator, so a failure can be reproduced from its case number.
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
}

function mutate(caseNumber: number): string {
  const next = generator(caseNumber + 1);
  let text = EXAMPLES[next(EXAMPLES.length)];
  for (let edit = 0; edit <= next(3); edit += 1) {
    const at = next(text.length + 1);
    if (next(2) === 0) text = text.slice(0, at) + TOKENS[next(TOKENS.length)] + text.slice(at);
    else text = text.slice(0, at) + text.slice(at + 1 + next(20));
  }
  return text;
}

const CASES = Array.from({ length: 150 }, (_, i) => i);

test.each(CASES)('mutation %i is either valid or has located problems', (caseNumber) => {
  const text = mutate(caseNumber);
  const result = checkConfigText(text, 'fuzz.yaml');
  const lines = text.split('\n').length;
  expect(result.config === null).toBe(result.problems.length > 0);
  for (const problem of [...result.problems, ...result.warnings]) {
    expect(problem.line).toBeGreaterThanOrEqual(1);
    expect(problem.line).toBeLessThanOrEqual(lines + 1);
    expect(problem.column).toBeGreaterThanOrEqual(1);
    expect(problem.message).not.toMatch(/undefined|\[object Object\]|NaN/);
  }
});

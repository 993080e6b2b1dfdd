// docs/CONFIG.md keeps up with the schema and the defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_DEFAULTS, KEY_STORE_DEFAULTS } from '../../src/config/defaults';
import schema from '../../src/config/schema.json';

const doc = readFileSync(join(__dirname, '../../docs/CONFIG.md'), 'utf8');

function keysOf(node: unknown, out = new Set<string>()): Set<string> {
  if (node === null || typeof node !== 'object') return out;
  const properties = (node as { properties?: Record<string, unknown> }).properties;
  for (const key of Object.keys(properties ?? {})) out.add(key);
  for (const child of Object.values(node as Record<string, unknown>)) keysOf(child, out);
  return out;
}

test.each([...keysOf(schema)])('key %s is documented', (key) => {
  expect(doc).toContain(`\`${key}\``);
});

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

test.each(Object.entries(AGENT_DEFAULTS))('agent.%s default is documented', (name, value) => {
  const row = doc.split('\n').find((line) => line.startsWith(`| \`${snake(name)}\` |`));
  expect(row).toContain(`| \`${String(value)}\` |`);
});

test('key_store.path default is documented', () => {
  expect(doc).toContain(`| \`path\` | absolute path | \`${KEY_STORE_DEFAULTS.path}\` |`);
});

// Format constants shared with the kernel module: the agent and the uapi
// header must agree on the data unit and header sizes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_UNIT_SIZE, HEADER_SIZE } from '../../src/crypto';

const UAPI = readFileSync(join(__dirname, '../../kernel/include/uapi/takakrypt.h'), 'utf8');

function define(name: string): number | undefined {
  const match = UAPI.match(new RegExp(`^#define\\s+${name}\\s+(\\d+)`, 'm'));
  return match ? Number(match[1]) : undefined;
}

test.each([
  ['TAKAKRYPT_DATA_UNIT_SIZE', DATA_UNIT_SIZE],
  ['TAKAKRYPT_FILE_HEADER_SIZE', HEADER_SIZE],
])('kernel %s equals the format constant %d', (name, value) => {
  expect(define(name)).toBe(value);
});

// Committed lower files of format v1, made with the test-only key and nonce:
// any change to the format (header, key derivation, XTS, tail, zero rule)
// changes the bytes and fails here. To regenerate after a deliberate format
// change (a new format version), run with TAKAKRYPT_WRITE_FIXTURES=1.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_UNIT_SIZE, EncryptedFile } from '../../src/crypto';
import { memoryProvider, pattern, TEST_ONLY_NONCE, testOnlyKey } from './helpers';

const U = DATA_UNIT_SIZE;
const FIXTURES = join(__dirname, '../fixtures/crypto');
const KEY_NAME = 'fixture-test-only';
const KEY_VERSION = 3;

/** Each fixture's plaintext: the shape it pins down is in its name. */
const CASES = [
  // unit 0 full, unit 1 all zero (stored as zeros), unit 2 full, unit 3 of 17 bytes (ciphertext stealing)
  { file: 'v1-zero-unit-cts-tail.tkc', plaintext: () => Buffer.concat([pattern(U, 1), Buffer.alloc(U), pattern(U + 17, 2)]) },
  // two full units and a 5-byte tail (keystream)
  { file: 'v1-short-tail.tkc', plaintext: () => pattern(2 * U + 5, 3) },
  // header only
  { file: 'v1-empty.tkc', plaintext: () => Buffer.alloc(0) },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'takakrypt-fixture-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, plaintext: Buffer): void {
  const file = EncryptedFile.create(path, testOnlyKey(KEY_NAME, KEY_VERSION), { nonce: TEST_ONLY_NONCE, overwrite: true });
  file.write(0, plaintext);
  file.close();
}

if (process.env.TAKAKRYPT_WRITE_FIXTURES === '1') {
  mkdirSync(FIXTURES, { recursive: true });
  for (const { file, plaintext } of CASES) write(join(FIXTURES, file), plaintext());
}

describe.each(CASES)('fixture $file', ({ file, plaintext }) => {
  const fixture = join(FIXTURES, file);

  test('is committed', () => {
    expect(existsSync(fixture)).toBe(true);
  });

  test('writing its plaintext again with the test-only key and nonce gives the same bytes', () => {
    const path = join(dir, file);
    write(path, plaintext());
    const produced = readFileSync(path);
    const committed = readFileSync(fixture);
    const firstDifference = produced.findIndex((b, i) => b !== committed[i]);
    expect({ length: produced.length, firstDifference }).toEqual({ length: committed.length, firstDifference: -1 });
  });

  test('reads back as its plaintext', async () => {
    const encrypted = await EncryptedFile.open(fixture, memoryProvider([testOnlyKey(KEY_NAME, KEY_VERSION)]), { readOnly: true });
    const expected = plaintext();
    expect(encrypted.read(0, expected.length + 1).equals(expected)).toBe(true);
    encrypted.close();
  });
});

test('the zero unit of the first fixture is stored as zeros', () => {
  const lower = readFileSync(join(FIXTURES, CASES[0].file));
  expect(lower.subarray(4096 + U, 4096 + 2 * U).every((b) => b === 0)).toBe(true);
});

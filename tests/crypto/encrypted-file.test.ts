// Reference reader/writer: random operations against an in-memory model
// (seed printed on failure; TAKAKRYPT_CRYPTO_SEED and TAKAKRYPT_CRYPTO_OPS
// override the defaults), real holes in the lower file, plaintext files.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_UNIT_SIZE, detectLowerFile, EncryptedFile, HEADER_SIZE } from '../../src/crypto';
import { isTakakryptError } from '../../src/errors';
import { memoryProvider, seededRandom, testOnlyKey } from './helpers';

const U = DATA_UNIT_SIZE;
const SEED = Number(process.env.TAKAKRYPT_CRYPTO_SEED ?? 20261204);
const OPS = Number(process.env.TAKAKRYPT_CRYPTO_OPS ?? 3000);
const provider = memoryProvider([testOnlyKey()]);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'takakrypt-crypto-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'no error';
  } catch (err) {
    if (isTakakryptError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
}

/** One random operation on both the file and the model; returns its description. */
function step(file: EncryptedFile, model: { bytes: Buffer }, random: () => number): string {
  const size = model.bytes.length;
  const pick = (n: number) => Math.floor(random() * n);
  // Positions near unit boundaries reach the short-tail and stealing paths.
  const position = (limit: number) => {
    if (random() < 0.6) return pick(limit + 1);
    const near = Math.floor(pick(limit + 1) / U) * U + pick(41) - 20;
    return Math.min(limit, Math.max(0, near));
  };
  const kind = pick(10);
  if (kind < 6) {
    const offset = position(size + 2 * U);
    const length = pick(random() < 0.7 ? 300 : 3 * U + 20);
    const data = random() < 0.2 ? Buffer.alloc(length) : Buffer.from(Array.from({ length }, () => pick(256)));
    file.write(offset, data);
    if (length > 0) {
      const grown = Buffer.alloc(Math.max(size, offset + length));
      model.bytes.copy(grown);
      data.copy(grown, offset);
      model.bytes = grown;
    }
    return `write(${offset}, ${length} bytes)`;
  }
  if (kind < 8) {
    const newSize = random() < 0.5 ? position(size) : position(size + 3 * U);
    file.truncate(newSize);
    const resized = Buffer.alloc(newSize);
    model.bytes.copy(resized, 0, 0, Math.min(size, newSize));
    model.bytes = resized;
    return `truncate(${newSize})`;
  }
  const offset = pick(size + 100);
  const length = pick(2 * U);
  const got = file.read(offset, length);
  const want = model.bytes.subarray(Math.min(offset, size), Math.min(offset + length, size));
  if (!got.equals(want)) throw new Error(`read(${offset}, ${length}) differs from the model`);
  return `read(${offset}, ${length})`;
}

describe('EncryptedFile against an in-memory model', () => {
  test(`${OPS} random operations, seed ${SEED}`, async () => {
    const random = seededRandom(SEED);
    const path = join(dir, 'model.tkc');
    let file = EncryptedFile.create(path, testOnlyKey());
    const model = { bytes: Buffer.alloc(0) };
    for (let i = 0; i < OPS; i++) {
      let what = 'reopen';
      try {
        if (i % 250 === 249) {
          file.close();
          file = await EncryptedFile.open(path, provider);
        } else {
          what = step(file, model, random);
        }
        const lowerSize = statSync(path).size;
        const content = file.read(0, model.bytes.length + 1);
        if (lowerSize !== HEADER_SIZE + model.bytes.length || !content.equals(model.bytes)) {
          throw new Error(`after it: lower size ${lowerSize}, plaintext ${content.length} bytes, model ${model.bytes.length} bytes, equal ${content.equals(model.bytes)}`);
        }
      } catch (err) {
        throw new Error(`seed ${SEED}, operation ${i} ${what}: ${(err as Error).message} (replay with TAKAKRYPT_CRYPTO_SEED=${SEED})`);
      }
    }
    file.close();
  });
});

describe('holes', () => {
  test('writing far past the end leaves the skipped units as holes in the lower file', () => {
    const path = join(dir, 'sparse.tkc');
    const file = EncryptedFile.create(path, testOnlyKey());
    file.write(0, Buffer.from('head'));
    file.write(256 * U + 10, Buffer.from('tail'));
    const lower = readFileSync(path);
    const untouched = lower.subarray(HEADER_SIZE + U, HEADER_SIZE + 256 * U);
    const stat = statSync(path);
    expect({
      size: file.size(),
      head: file.read(0, 4).toString(),
      middle: file.read(100 * U, 8).toString('hex'),
      tail: file.read(256 * U + 10, 4).toString(),
      untouchedLowerIsZero: untouched.every((b) => b === 0),
      allocatedBelow64KiB: stat.blocks * 512 < 64 * 1024,
    }).toEqual({ size: 256 * U + 14, head: 'head', middle: '0000000000000000', tail: 'tail', untouchedLowerIsZero: true, allocatedBelow64KiB: true });
    file.close();
  });

  test('truncate up by 1 MiB allocates nothing and reads zeros', () => {
    const path = join(dir, 'grown.tkc');
    const file = EncryptedFile.create(path, testOnlyKey());
    file.write(0, Buffer.from('0123456789'));
    file.truncate(1024 * 1024 + 3);
    const content = file.read(0, 1024 * 1024 + 3);
    expect({
      first: content.subarray(0, 10).toString(),
      restIsZero: content.subarray(10).every((b) => b === 0),
      allocatedBelow64KiB: statSync(path).blocks * 512 < 64 * 1024,
    }).toEqual({ first: '0123456789', restIsZero: true, allocatedBelow64KiB: true });
    file.close();
  });
});

describe('lower files that are not (or no longer) encrypted files', () => {
  test.each([
    { what: 'an empty file', content: Buffer.alloc(0), kind: 'plaintext' },
    { what: 'a text file', content: Buffer.from('hello\n'), kind: 'plaintext' },
    { what: 'a 10000-byte binary', content: Buffer.alloc(10000, 7), kind: 'plaintext' },
  ])('detectLowerFile: $what is $kind', ({ content, kind }) => {
    const path = join(dir, 'plain.bin');
    writeFileSync(path, content);
    expect(detectLowerFile(path)).toBe(kind);
  });

  test('detectLowerFile: an encrypted file is encrypted', () => {
    const path = join(dir, 'enc.tkc');
    EncryptedFile.create(path, testOnlyKey()).close();
    expect(detectLowerFile(path)).toBe('encrypted');
  });

  test.each([
    ['plaintext', () => Buffer.from('plaintext from before the guard point'), 'CRYPTO_NO_HEADER: expected the 4096-byte header starting with magic 89544b525950540a, got none: the file holds plaintext'],
    ['a cut header', (h: Buffer) => h.subarray(0, 2000), 'CRYPTO_HEADER_TRUNCATED: expected a lower file of at least 4096 bytes after the header magic, got 2000'],
    ['a flipped authenticator bit', (h: Buffer) => Buffer.concat([h.subarray(0, 4064), Buffer.from([h[4064] ^ 1]), h.subarray(4065)]), 'CRYPTO_HEADER_TAMPERED: expected the header authenticator to match the header under the file key, got a mismatch: the header was altered'],
  ])('open refuses %s', async (_what, make, expected) => {
    const source = join(dir, 'source.tkc');
    EncryptedFile.create(source, testOnlyKey(), { overwrite: true }).close();
    const path = join(dir, 'refused.tkc');
    writeFileSync(path, make(readFileSync(source)));
    expect(await failure(() => EncryptedFile.open(path, provider))).toBe(expected);
  });

  test('open with other key material under the same name is CRYPTO_KEY_MISMATCH', async () => {
    const path = join(dir, 'other-key.tkc');
    EncryptedFile.create(path, testOnlyKey()).close();
    const impostor = memoryProvider([{ name: 'test-only-key', version: 1, material: Buffer.alloc(32, 0xee) }]);
    expect(await failure(() => EncryptedFile.open(path, impostor))).toBe('CRYPTO_KEY_MISMATCH: expected the key this file was encrypted with (test-only-key version 1), got key material whose check value differs');
  });

  test('create refuses to replace an existing file unless asked to', () => {
    const path = join(dir, 'existing.bin');
    writeFileSync(path, 'precious');
    const refused = (() => {
      try {
        EncryptedFile.create(path, testOnlyKey()).close();
        return 'created';
      } catch (err) {
        return (err as NodeJS.ErrnoException).code;
      }
    })();
    expect([refused, readFileSync(path, 'latin1')]).toEqual(['EEXIST', 'precious']);
    EncryptedFile.create(path, testOnlyKey(), { overwrite: true }).close();
    expect(detectLowerFile(path)).toBe('encrypted');
  });

  test('a lower file cut below its header while open is CRYPTO_LOWER_FILE_INVALID', async () => {
    const path = join(dir, 'cut.tkc');
    const file = EncryptedFile.create(path, testOnlyKey());
    writeFileSync(path, Buffer.alloc(10));
    expect(await failure(() => file.size())).toBe(`CRYPTO_LOWER_FILE_INVALID: expected ${path} to be at least 4096 bytes, got 10`);
    file.close();
  });

  test.each([
    ['a negative offset', (f: EncryptedFile) => f.read(-1, 10), 'CRYPTO_RANGE_INVALID: expected an offset and length within 0..9007199254736896, got offset -1 length 10'],
    ['a fractional size', (f: EncryptedFile) => f.truncate(1.5), 'CRYPTO_RANGE_INVALID: expected an offset and length within 0..9007199254736896, got offset 1.5 length 0'],
  ])('%s is refused', async (_what, fn, expected) => {
    const file = EncryptedFile.create(join(dir, 'range.tkc'), testOnlyKey(), { overwrite: true });
    expect(await failure(() => fn(file))).toBe(expected);
    file.close();
  });
});

// XTS runs through the addon equal node:crypto's aes-256-xts unit by unit
// (random keys, data and unit indexes, including indexes above 2^32 and
// the carry past 2^64), both backends keep the zero-unit rule, OpenSSL
// failures map to CRYPTO_XTS_FAILED, and dispose() zeroes the file's keys.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createFileCipher, DATA_UNIT_SIZE } from '../../src/crypto';
import { UnitCipher } from '../../src/crypto/unit-cipher';
import { loadXtsNative, XtsBackend, xtsRun, xtsRunAsync } from '../../src/crypto/xts-run';
import { isTakakryptError } from '../../src/errors';
import { pattern, seededRandom, TEST_ONLY_NONCE, testOnlyKey } from './helpers';

const U = DATA_UNIT_SIZE;
const SEED = 20261204;
const random = seededRandom(SEED);
const randomBuffer = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
const randomIndex = (limit: number) => Math.floor(random() * limit);

/** IEEE 1619 tweak of unit `index`: 128-bit little-endian. */
function tweak(index: bigint): Buffer {
  const t = Buffer.alloc(16);
  t.writeBigUInt64LE(index & 0xffffffffffffffffn, 0);
  t.writeBigUInt64LE(index >> 64n, 8);
  return t;
}

/** The run as node:crypto computes it: one cipher per unit. */
function reference(key: Buffer, first: bigint, input: Buffer, encrypt: boolean): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0, i = 0n; start < input.length; start += U, i++) {
    const make = encrypt ? createCipheriv : createDecipheriv;
    parts.push(make('aes-256-xts', key, tweak(first + i)).update(input.subarray(start, start + U)));
  }
  return Buffer.concat(parts);
}

function randomCase(n: number) {
  const units = 1 + randomIndex(8);
  const tail = random() < 0.5 ? 0 : 16 + randomIndex(U - 16);
  const limits = [2 ** 20, 2 ** 41, Number.MAX_SAFE_INTEGER - 16];
  return { n, key: randomBuffer(64), first: randomIndex(limits[n % 3]), input: randomBuffer(units * U + tail) };
}

const CASES = Array.from({ length: 24 }, (_, n) => randomCase(n));

describe(`the addon equals node:crypto aes-256-xts (seed ${SEED})`, () => {
  test.each(CASES)('case $n: $input.length bytes from unit $first', ({ key, first, input }) => {
    const native = loadXtsNative();
    if (native === null) throw new Error('the addon is not built: run npm ci');
    const encrypted = Buffer.alloc(input.length);
    native.xtsRun(key, first, U, input, encrypted, true, false);
    const decrypted = Buffer.from(encrypted);
    native.xtsRun(key, BigInt(first), U, decrypted, decrypted, false, false);
    expect([encrypted.equals(reference(key, BigInt(first), input, true)), decrypted.equals(input)]).toEqual([true, true]);
  });

  test('two thirds of the cases start above unit 2^32', () => {
    expect(CASES.filter((c) => c.first > 2 ** 32).length).toBeGreaterThanOrEqual(14);
  });

  test.each([
    [2n ** 32n - 1n],
    [2n ** 64n - 2n],
  ])('a run from unit %s counts the tweak on as a 128-bit number', (first) => {
    const native = loadXtsNative() as NonNullable<ReturnType<typeof loadXtsNative>>;
    const key = pattern(64, 3);
    const input = pattern(3 * U, 4);
    const output = Buffer.alloc(input.length);
    native.xtsRun(key, first, U, input, output, true, false);
    expect(output.equals(reference(key, first, input, true))).toBe(true);
  });
});

describe.each<XtsBackend>(['addon', 'node:crypto'])('the zero-unit rule through the %s backend', (backend) => {
  const key = pattern(64, 8);
  // The one plaintext XTS sends to zeros at unit 9: F^-1(Z).
  const zeros = Buffer.alloc(U);
  const swapped = Buffer.alloc(U);
  xtsRun(key, 9, zeros, swapped, false, false, backend);
  const imageOfZeros = reference(key, 9n, zeros, true);

  test.each([
    ['zeros encrypt to zeros', zeros, true, zeros],
    ['zeros decrypt to zeros', zeros, false, zeros],
    ['F^-1(Z) encrypts to F(Z)', swapped, true, imageOfZeros],
    ['F(Z) decrypts to F^-1(Z)', imageOfZeros, false, swapped],
  ])('%s', (_name, input, encrypt, expected) => {
    const out = Buffer.alloc(U, 0xee);
    xtsRun(key, 9, input, out, encrypt, true, backend);
    const inPlace = Buffer.from(input);
    xtsRun(key, 9, inPlace, inPlace, encrypt, true, backend);
    expect([out.equals(expected), inPlace.equals(expected)]).toEqual([true, true]);
  });

  test('a run mixing holes and data keeps each unit on its own', () => {
    const input = Buffer.concat([zeros, pattern(U, 1), zeros, pattern(100, 2)]);
    const out = Buffer.alloc(input.length);
    xtsRun(key, 40, input, out, true, true, backend);
    const expected = Buffer.concat([zeros, reference(key, 41n, pattern(U, 1), true), zeros, reference(key, 43n, pattern(100, 2), true)]);
    expect(out.equals(expected)).toBe(true);
  });
});

describe('failures and key wiping', () => {
  test('an OpenSSL refusal becomes CRYPTO_XTS_FAILED', () => {
    let found = 'no error';
    try {
      xtsRun(Buffer.alloc(64, 7), 5, Buffer.alloc(2 * U, 1), Buffer.alloc(2 * U), true, true, 'addon');
    } catch (err) {
      if (isTakakryptError(err)) found = `${err.code}: ${err.message}`;
    }
    expect(found).toBe('CRYPTO_XTS_FAILED: expected OpenSSL to process data units 5..6 with AES-256-XTS, got AES-256-XTS key set-up failed: error:1C800095:Provider routines::xts duplicated keys');
  });

  test('an output overlapping the input at another offset is refused', () => {
    const { cipher } = createFileCipher(testOnlyKey(), TEST_ONLY_NONCE);
    const shared = pattern(3 * U, 6);
    let found = 'no error';
    try {
      cipher.encryptUnits(0, shared.subarray(0, 2 * U), shared.subarray(U));
    } catch (err) {
      if (isTakakryptError(err)) found = `${err.code}: ${err.message}`;
    }
    cipher.dispose();
    expect(found).toBe('CRYPTO_RANGE_INVALID: expected the output buffer to be the input itself or separate from it, got one overlapping it at a different offset');
  });

  test('dispose() zeroes the key bytes the file cipher held', () => {
    const { cipher } = createFileCipher(testOnlyKey(), TEST_ONLY_NONCE);
    cipher.encryptUnits(0, pattern(U + 5, 1));
    const units = (cipher as unknown as { units: UnitCipher }).units;
    const held = units as unknown as { xtsKey: Buffer; tailKey: Buffer };
    const before = [held.xtsKey.some((b) => b !== 0), held.tailKey.some((b) => b !== 0)];
    cipher.dispose();
    expect([before, [held.xtsKey.equals(Buffer.alloc(64)), held.tailKey.equals(Buffer.alloc(32))]]).toEqual([[true, true], [true, true]]);
  });
});

describe('xtsRunAsync', () => {
  test.each<XtsBackend>(['addon', 'node:crypto'])('%s: equals the reference, zero units kept', async (backend) => {
    const key = randomBuffer(64);
    const input = Buffer.concat([randomBuffer(3 * U), Buffer.alloc(U), randomBuffer(100)]);
    const output = Buffer.alloc(input.length);
    await xtsRunAsync(key, 11, input, output, true, true, backend);
    const expected = reference(key, 11n, input, true);
    expected.fill(0, 3 * U, 4 * U);
    expect(output.equals(expected)).toBe(true);
  });

  test('an OpenSSL refusal rejects with CRYPTO_XTS_FAILED', async () => {
    const equalHalves = Buffer.concat([Buffer.alloc(32, 7), Buffer.alloc(32, 7)]);
    const failure = await xtsRunAsync(equalHalves, 0, Buffer.alloc(U), Buffer.alloc(U), true, false, 'addon').then(() => null, (err: unknown) => err);
    expect(isTakakryptError(failure, 'CRYPTO_XTS_FAILED')).toBe(true);
  });
});

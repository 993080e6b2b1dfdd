// FileCipher: every length round-trips, the contents follow docs/FORMAT.md
// section 4 exactly (checked against an independent derivation), zero units
// stay zero, and partial-unit rewrites behave like plain byte edits.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { createFileCipher, DATA_UNIT_SIZE, fileCipherFromHeader, FileCipher } from '../../src/crypto';
import { freshNonce } from '../../src/crypto/file-cipher';
import { isTakakryptError } from '../../src/errors';
import { pattern, TEST_ONLY_KEY_MATERIAL, TEST_ONLY_NONCE, testOnlyKey } from './helpers';

const U = DATA_UNIT_SIZE;
const { header, cipher } = createFileCipher(testOnlyKey(), TEST_ONLY_NONCE);
const reader = fileCipherFromHeader(header, testOnlyKey());

// Section 3 of docs/FORMAT.md, written out again from the text.
const specKey = (info: string, length: number) => Buffer.from(hkdfSync('sha512', TEST_ONLY_KEY_MATERIAL, TEST_ONLY_NONCE, info, length));
const K_XTS = specKey('takakrypt v1 aes-256-xts data unit key', 64);
const K_TAIL = specKey('takakrypt v1 short tail keystream key', 32);
const tweak = (i: number) => {
  const t = Buffer.alloc(16);
  t.writeBigUInt64LE(BigInt(i));
  return t;
};
const specXts = (i: number, data: Buffer, encrypt: boolean) =>
  (encrypt ? createCipheriv('aes-256-xts', K_XTS, tweak(i)) : createDecipheriv('aes-256-xts', K_XTS, tweak(i))).update(data);
const specKeystream = (i: number) => {
  const ecb = createCipheriv('aes-256-ecb', K_TAIL, null);
  ecb.setAutoPadding(false);
  return ecb.update(tweak(i));
};

function code(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (isTakakryptError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
}

describe('round trip', () => {
  test('every length from 0 to 3*4096+17 round-trips, length-preserving', () => {
    const plaintext = pattern(3 * U + 17, 9);
    const failures: number[] = [];
    for (let length = 0; length <= 3 * U + 17; length++) {
      const p = plaintext.subarray(0, length);
      const c = cipher.encryptUnits(5, p);
      const back = reader.decryptUnits(5, c);
      if (c.length !== length || !back.equals(p) || (length > 0 && c.equals(p))) failures.push(length);
    }
    expect(failures).toEqual([]);
  });

  test.each([0, 1, 255, 2 ** 32, 2 ** 41 - 5])('runs starting at unit %d round-trip', (first) => {
    const p = pattern(3 * U + 5, first % 97);
    expect(reader.decryptUnits(first, cipher.encryptUnits(first, p)).equals(p)).toBe(true);
  });

  test('encrypting in place gives the same ciphertext', () => {
    const p = pattern(2 * U + 100, 3);
    const expected = cipher.encryptUnits(0, p);
    const buffer = Buffer.from(p);
    expect(cipher.encryptUnits(0, buffer, buffer) === buffer && buffer.equals(expected)).toBe(true);
  });
});

describe('contents follow docs/FORMAT.md section 4', () => {
  test.each([16, 17, 100, 4095, 4096])('a %d-byte unit is AES-256-XTS under K_xts with tweak = unit index', (length) => {
    const p = pattern(length, length);
    expect(cipher.encryptUnits(11, p).equals(specXts(11, p, true))).toBe(true);
  });

  test.each([1, 5, 15])('a %d-byte final unit is XORed with AES-256(K_tail, tweak)', (length) => {
    const p = pattern(length, 2);
    const stream = specKeystream(3);
    const expected = Buffer.from(p.map((b, i) => b ^ stream[i]));
    expect(cipher.encryptUnits(3, p).equals(expected)).toBe(true);
  });

  test('each unit of a run uses its own index', () => {
    const p = pattern(2 * U + 20, 4);
    const c = cipher.encryptUnits(40, p);
    const expected = Buffer.concat([specXts(40, p.subarray(0, U), true), specXts(41, p.subarray(U, 2 * U), true), specXts(42, p.subarray(2 * U), true)]);
    expect(c.equals(expected)).toBe(true);
  });
});

describe('zero-unit rule (holes)', () => {
  test.each([1, 15, 16, 17, 4096])('an all-zero %d-byte unit is stored as zeros and zeros read as zeros', (length) => {
    const zeros = Buffer.alloc(length);
    expect([cipher.encryptUnits(2, zeros).equals(zeros), reader.decryptUnits(2, zeros).equals(zeros)]).toEqual([true, true]);
  });

  test('a zero unit in the middle of a run stays zero, its neighbours do not', () => {
    const p = Buffer.concat([pattern(U, 1), Buffer.alloc(U), pattern(10, 2)]);
    const c = cipher.encryptUnits(0, p);
    const zeroUnits = [0, 1, 2].map((u) => c.subarray(u * U, (u + 1) * U).every((b) => b === 0));
    expect(zeroUnits).toEqual([false, true, false]);
    expect(reader.decryptUnits(0, c).equals(p)).toBe(true);
  });

  test.each([1, 7, 15])('a %d-byte tail equal to its keystream swaps with zeros instead of vanishing', (length) => {
    const keystreamTail = specKeystream(9).subarray(0, length);
    const c = cipher.encryptUnits(9, keystreamTail);
    expect([c.equals(keystreamTail), reader.decryptUnits(9, c).equals(keystreamTail)]).toEqual([true, true]);
  });

  test.each([16, 33, 4096])('the %d-byte XTS plaintext that encrypts to zeros takes the place of zeros', (length) => {
    const special = specXts(6, Buffer.alloc(length), false);
    const c = cipher.encryptUnits(6, special);
    expect([c.equals(specXts(6, Buffer.alloc(length), true)), reader.decryptUnits(6, c).equals(special)]).toEqual([true, true]);
  });
});

describe('patchUnit (read-modify-write of one unit)', () => {
  const original = pattern(3000, 8);
  const stored = cipher.encryptUnits(4, original);

  test.each([
    ['overwrite inside', 100, 50, undefined],
    ['overwrite the start', 0, 10, undefined],
    ['extend past the end', 2990, 100, undefined],
    ['write after a gap', 3500, 20, undefined],
    ['fill the whole unit', 0, 4096, undefined],
    ['cut to 10 bytes (short tail)', 0, 0, 10],
    ['cut to 16 bytes', 0, 0, 16],
    ['grow to 4096 with zeros', 0, 0, 4096],
    ['write and cut', 5, 3, 12],
  ])('%s', (_what, offset, length, newLength) => {
    const data = pattern(length, offset + 77);
    const model = Buffer.alloc(newLength ?? Math.max(original.length, offset + length));
    original.copy(model, 0, 0, Math.min(original.length, model.length));
    data.copy(model, offset);
    const patched = cipher.patchUnit(4, stored, offset, data, { length: newLength });
    expect(reader.decryptUnits(4, patched).equals(model)).toBe(true);
  });

  test('patching an empty (new) unit', () => {
    const patched = cipher.patchUnit(12, Buffer.alloc(0), 3, Buffer.from('abc'));
    expect(reader.decryptUnits(12, patched).toString('latin1')).toBe('\0\0\0abc');
  });
});

describe('argument checks', () => {
  test.each([
    ['unit -1', () => cipher.encryptUnits(-1, Buffer.alloc(1)), 'CRYPTO_RANGE_INVALID: expected data unit indexes from 0 to 2199023255550, got -1..-1'],
    ['unit 1.5', () => cipher.decryptUnits(1.5, Buffer.alloc(1)), 'CRYPTO_RANGE_INVALID: expected data unit indexes from 0 to 2199023255550, got 1.5..1.5'],
    ['a run past the last unit', () => cipher.encryptUnits(2199023255550, Buffer.alloc(U + 1)), 'CRYPTO_RANGE_INVALID: expected data unit indexes from 0 to 2199023255550, got 2199023255550..2199023255551'],
    ['a small output buffer', () => cipher.encryptUnits(0, Buffer.alloc(100), Buffer.alloc(99)), 'CRYPTO_RANGE_INVALID: expected an output buffer of at least 100 bytes, got 99'],
    ['a patch past the unit', () => cipher.patchUnit(0, Buffer.alloc(0), 4000, Buffer.alloc(97)), 'CRYPTO_RANGE_INVALID: expected a patch within one 4096-byte unit, got offset 4000, 97 bytes, unit length 4097, stored 0'],
    ['a patch beyond its length', () => cipher.patchUnit(0, Buffer.alloc(0), 10, Buffer.alloc(5), { length: 12 }), 'CRYPTO_RANGE_INVALID: expected a patch within one 4096-byte unit, got offset 10, 5 bytes, unit length 12, stored 0'],
  ])('%s', (_what, fn, expected) => {
    expect(code(fn)).toBe(expected);
  });

  test('a disposed cipher refuses work', () => {
    const c: FileCipher = fileCipherFromHeader(header, testOnlyKey());
    c.dispose();
    expect(code(() => c.decryptUnits(0, Buffer.alloc(16)))).toBe('CRYPTO_CIPHER_DISPOSED: expected a live file cipher for key test-only-key version 1, got one already disposed');
  });
});

describe('runs on a pool thread (encryptUnitsAsync, decryptUnitsAsync)', () => {
  test.each([1, 15, 16, 100, U, U + 7, 3 * U + 17, 30 * U])('%d bytes: the same ciphertext as encryptUnits, and back', async (length) => {
    const p = pattern(length, length % 89);
    const expected = cipher.encryptUnits(7, p);
    const c = await cipher.encryptUnitsAsync(7, p);
    expect(c.equals(expected)).toBe(true);
    const back = await reader.decryptUnitsAsync(7, c);
    expect(back.equals(p)).toBe(true);
  });

  test('in place, zero units stay zero', async () => {
    const p = Buffer.concat([pattern(U, 1), Buffer.alloc(U), pattern(U + 3, 2)]);
    const buffer = Buffer.from(p);
    expect(await cipher.encryptUnitsAsync(3, buffer, buffer)).toBe(buffer);
    expect(buffer.equals(cipher.encryptUnits(3, p))).toBe(true);
    expect(buffer.subarray(U, 2 * U).equals(Buffer.alloc(U))).toBe(true);
  });

  test('disposing the cipher right after the call does not change the result', async () => {
    const c: FileCipher = fileCipherFromHeader(header, testOnlyKey());
    const p = pattern(8 * U + 9, 4);
    const pending = c.encryptUnitsAsync(0, p);
    c.dispose();
    expect((await pending).equals(cipher.encryptUnits(0, p))).toBe(true);
  });

  test('many runs at once each get their own result', async () => {
    const inputs = Array.from({ length: 16 }, (_, i) => pattern(5 * U + i, i));
    const outs = await Promise.all(inputs.map((p, i) => cipher.encryptUnitsAsync(i * 5, p)));
    expect(outs.map((c, i) => c.equals(cipher.encryptUnits(i * 5, inputs[i])))).toEqual(inputs.map(() => true));
  });

  test('argument problems reject with the same errors', async () => {
    await expect(cipher.encryptUnitsAsync(-1, Buffer.alloc(1))).rejects.toThrow('expected data unit indexes from 0 to 2199023255550, got -1..-1');
    await expect(cipher.decryptUnitsAsync(0, Buffer.alloc(100), Buffer.alloc(99))).rejects.toThrow('expected an output buffer of at least 100 bytes, got 99');
    const c: FileCipher = fileCipherFromHeader(header, testOnlyKey());
    c.dispose();
    await expect(c.decryptUnitsAsync(0, Buffer.alloc(16))).rejects.toThrow('got one already disposed');
  });
});

describe('freshNonce', () => {
  test('hands out 16-byte nonces that never repeat, across several pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 256 * 3 + 7; i++) {
      const nonce = freshNonce();
      expect(nonce.length).toBe(16);
      seen.add(nonce.toString('hex'));
    }
    expect(seen.size).toBe(256 * 3 + 7);
  });

  test('a nonce is the caller\'s own copy: changing it changes no later nonce', () => {
    const a = freshNonce();
    const copy = Buffer.from(a);
    a.fill(0);
    const b = freshNonce();
    expect([b.equals(copy), b.equals(a), b.length]).toEqual([false, false, 16]);
  });

  test('new files without a given nonce get distinct nonces in their headers', () => {
    const nonces = Array.from({ length: 300 }, () => createFileCipher(testOnlyKey()).cipher.header.nonce.toString('hex'));
    expect(new Set(nonces).size).toBe(300);
  });
});

// Known answers through the format's own code paths: IEEE 1619 XTS-AES-256
// vectors through UnitCipher, RFC 5869 HKDF vectors through hkdf().
import { createSecretKey } from 'node:crypto';
import { hkdfSync, randomBytes } from 'node:crypto';
import { hkdf, hkdfMany } from '../../src/crypto/hkdf';
import { UnitCipher, writeTweak } from '../../src/crypto/unit-cipher';
import { IEEE1619_KEY1, IEEE1619_KEY2, IEEE1619_VECTORS, ieee1619Plaintext } from './ieee1619-vectors';

const hex = (s: string) => Buffer.from(s, 'hex');
const range = (from: number, to: number) => Buffer.from(Array.from({ length: to - from + 1 }, (_, i) => from + i));

describe('IEEE 1619-2007 XTS-AES-256 vectors 10-14 through UnitCipher', () => {
  const units = new UnitCipher(createSecretKey(Buffer.concat([hex(IEEE1619_KEY1), hex(IEEE1619_KEY2)])), createSecretKey(Buffer.alloc(32, 1)));
  const plaintext = ieee1619Plaintext();

  test.each(IEEE1619_VECTORS)('vector $vector (data unit $dataUnit) encrypts', ({ dataUnit, ciphertext }) => {
    expect(units.encrypt(dataUnit, plaintext).toString('hex')).toBe(ciphertext);
  });

  test.each(IEEE1619_VECTORS)('vector $vector (data unit $dataUnit) decrypts', ({ dataUnit, ciphertext }) => {
    expect(units.decrypt(dataUnit, hex(ciphertext)).equals(plaintext)).toBe(true);
  });
});

describe('data unit tweak encoding', () => {
  test.each([
    [0, '00000000000000000000000000000000'],
    [0xff, 'ff000000000000000000000000000000'],
    [0xffffffffff, 'ffffffffff0000000000000000000000'],
    [2 ** 41 - 1, 'ffffffffff0100000000000000000000'],
  ])('unit %d is the 128-bit little-endian tweak %s', (index, expected) => {
    const tweak = Buffer.alloc(16, 0xee);
    writeTweak(tweak, index);
    expect(tweak.toString('hex')).toBe(expected);
  });
});

describe('RFC 5869 HKDF-SHA-256 test cases through hkdf()', () => {
  test.each([
    {
      name: 'A.1 basic',
      ikm: Buffer.alloc(22, 0x0b), salt: range(0x00, 0x0c), info: range(0xf0, 0xf9), length: 42,
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      name: 'A.2 longer inputs',
      ikm: range(0x00, 0x4f), salt: range(0x60, 0xaf), info: range(0xb0, 0xff), length: 82,
      okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      name: 'A.3 empty salt and info',
      ikm: Buffer.alloc(22, 0x0b), salt: Buffer.alloc(0), info: Buffer.alloc(0), length: 42,
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ])('$name', ({ ikm, salt, info, length, okm }) => {
    expect(hkdf('sha256', ikm, salt, info, length).toString('hex')).toBe(okm);
  });
});

describe('hkdfMany: one extract, several outputs', () => {
  test.each(['sha256', 'sha512'] as const)('%s: each output equals node:crypto hkdfSync, for lengths across block edges', (hash) => {
    const block = hash === 'sha256' ? 32 : 64;
    const lengths = [1, 16, block - 1, block, block + 1, 2 * block, 3 * block + 5, 255 * block];
    for (let round = 0; round < 20; round++) {
      const ikm = randomBytes(1 + round * 7), salt = randomBytes(round % 3 === 0 ? 0 : 32);
      const outputs = lengths.map((length, i) => [randomBytes(i * 3), length] as const);
      const got = hkdfMany(hash, ikm, salt, outputs).map((b) => b.toString('hex'));
      const want = outputs.map(([info, length]) => Buffer.from(hkdfSync(hash, ikm, salt, info, length)).toString('hex'));
      expect(got).toEqual(want);
    }
  });

  test.each([0, -1, 1.5, 255 * 64 + 1])('an output length of %p is refused', (length) => {
    expect(() => hkdfMany('sha512', randomBytes(32), randomBytes(32), [['x', length]])).toThrow(`expected an HKDF output length from 1 to ${255 * 64}, got ${length}`);
  });
});

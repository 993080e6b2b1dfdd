// Known answers through the format's own code paths: IEEE 1619 XTS-AES-256
// vectors through UnitCipher, RFC 5869 HKDF vectors through hkdf().
import { createSecretKey } from 'node:crypto';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { hkdf, hkdfMany, hmac, kdfBackend, loadKdfNative, type KdfBackend } from '../../src/crypto/hkdf';
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

const BACKENDS: KdfBackend[] = ['addon', 'node:crypto'];

test('the built addon serves HMAC and HKDF', () => {
  expect([kdfBackend(), loadKdfNative() === null]).toEqual(['addon', false]);
});

describe.each(BACKENDS)('RFC 5869 HKDF-SHA-256 test cases through hkdf() (%s)', (backend) => {
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
    expect(hkdf('sha256', ikm, salt, info, length, backend).toString('hex')).toBe(okm);
  });
});

describe.each(BACKENDS)('hmac (%s)', (backend) => {
  test.each(['sha256', 'sha512'] as const)('%s equals node:crypto createHmac for keys and data of many lengths', (hash) => {
    for (const [keyLength, dataLength] of [[0, 0], [1, 1], [32, 4064], [64, 100], [200, 4096], [129, 1]]) {
      const key = randomBytes(keyLength), data = randomBytes(dataLength);
      expect(hmac(hash, key, data, backend).toString('hex')).toBe(createHmac(hash, key).update(data).digest('hex'));
    }
  });
});

describe('the addon re-checks HMAC and HKDF arguments', () => {
  const call = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (err) {
      return `${(err as Error).constructor.name}: ${(err as Error).message}`;
    }
  };
  const native = () => loadKdfNative() as unknown as Record<'hmac' | 'hkdf', (...a: unknown[]) => unknown>;
  const HMAC_USAGE = "TypeError: expected hmac('sha256' | 'sha512', key Buffer, data Buffer)";
  const HKDF_USAGE = "TypeError: expected hkdf('sha256' | 'sha512', ikm Buffer, salt Buffer, infos Buffer[], lengths number[] of the same length)";
  test.each([
    ['an unknown hash', ['md5', Buffer.alloc(1), Buffer.alloc(1)]],
    ['a string key', ['sha256', 'key', Buffer.alloc(1)]],
    ['a DataView as data', ['sha256', Buffer.alloc(1), new DataView(new ArrayBuffer(4))]],
    ['two arguments', ['sha256', Buffer.alloc(1)]],
  ])('hmac: %s', (_what, args) => {
    expect(call(() => native().hmac(...args))).toBe(HMAC_USAGE);
  });
  test.each([
    ['an unknown hash', ['sha1', Buffer.alloc(1), Buffer.alloc(1), [], []], HKDF_USAGE],
    ['infos and lengths of different counts', ['sha512', Buffer.alloc(1), Buffer.alloc(1), [Buffer.alloc(1)], []], HKDF_USAGE],
    ['a string info', ['sha512', Buffer.alloc(1), Buffer.alloc(1), ['x'], [8]], 'TypeError: expected every info to be a Buffer and every length a number'],
    ['a length over 255 blocks', ['sha256', Buffer.alloc(1), Buffer.alloc(1), [Buffer.alloc(1)], [255 * 32 + 1]], 'RangeError: expected an HKDF output length from 1 to 8160'],
    ['a fractional length', ['sha256', Buffer.alloc(1), Buffer.alloc(1), [Buffer.alloc(1)], [1.5]], 'RangeError: expected an HKDF output length from 1 to 8160'],
    ['a zero length', ['sha512', Buffer.alloc(1), Buffer.alloc(1), [Buffer.alloc(1)], [0]], 'RangeError: expected an HKDF output length from 1 to 16320'],
  ])('hkdf: %s', (_what, args, message) => {
    expect(call(() => native().hkdf(...args))).toBe(message);
  });
});

describe.each(BACKENDS)('limits both backends share (%s)', (backend) => {
  test('an unknown hash is refused, not passed to OpenSSL', () => {
    expect(() => hkdfMany('md5' as 'sha256', randomBytes(32), randomBytes(16), [['x', 100]], backend)).toThrow(new TypeError('expected hash sha256 or sha512, got md5'));
    expect(() => hmac('sha1' as 'sha256', randomBytes(32), randomBytes(16), backend)).toThrow(new TypeError('expected hash sha256 or sha512, got sha1'));
  });

  test('more than 16 outputs, or an info over 1024 bytes, is refused', () => {
    const seventeen = Array.from({ length: 17 }, () => ['x', 8] as const);
    expect(() => hkdfMany('sha512', randomBytes(32), randomBytes(16), seventeen, backend)).toThrow(new RangeError('expected at most 16 HKDF outputs, got 17'));
    expect(() => hkdfMany('sha512', randomBytes(32), randomBytes(16), [[Buffer.alloc(1025), 8]], backend)).toThrow(new RangeError('expected an HKDF info of at most 1024 bytes, got 1025'));
    const infos = [Buffer.alloc(1024, 7), Buffer.alloc(0)];
    const got = hkdfMany('sha512', randomBytes(32), Buffer.alloc(16, 1), infos.map((info) => [info, 64] as const), backend);
    expect(got.map((b) => b.length)).toEqual([64, 64]);
  });
});

describe('the addon runs no script while it holds Buffer pointers', () => {
  const native = () => loadKdfNative() as unknown as { hkdf: (...a: unknown[]) => Buffer[] };

  test('a throwing getter on lengths reaches the caller as its own error', () => {
    const lengths: number[] = [];
    Object.defineProperty(lengths, 0, { get() { throw new Error('from the getter'); }, enumerable: true });
    expect(() => native().hkdf('sha256', randomBytes(8), randomBytes(8), [randomBytes(4)], lengths)).toThrow('from the getter');
  });

  test('a getter that detaches ikm runs before ikm is read: the output is that of an empty ikm', () => {
    const ikm = new Uint8Array(1 << 20).fill(9);
    const salt = randomBytes(16), info = Buffer.from('i');
    const lengths: number[] = [];
    Object.defineProperty(lengths, 0, {
      get() {
        structuredClone(ikm.buffer, { transfer: [ikm.buffer] });
        return 32;
      },
      enumerable: true,
    });
    const [out] = native().hkdf('sha256', ikm, salt, [info], lengths);
    expect([ikm.length, out.toString('hex')]).toEqual([0, Buffer.from(hkdfSync('sha256', Buffer.alloc(0), salt, info, 32)).toString('hex')]);
  });

  test('the result array is filled without calling setters of Array.prototype', () => {
    const calls: unknown[] = [];
    Object.defineProperty(Array.prototype, 0, { configurable: true, set(v: unknown) { calls.push(v); } });
    let out: Buffer[];
    try {
      out = native().hkdf('sha256', randomBytes(8), randomBytes(8), [Buffer.from('a'), Buffer.from('b')], [16, 16]);
    } finally {
      delete (Array.prototype as unknown as Record<number, unknown>)[0];
    }
    expect([calls.length, Object.hasOwn(out, 0), out.length, out[0].length]).toEqual([0, true, 2, 16]);
  });

  test('an array of 2^32 - 1 infos is refused before anything is allocated for it', () => {
    const many: unknown[] = [];
    many.length = 2 ** 32 - 1;
    expect(() => native().hkdf('sha256', randomBytes(8), randomBytes(8), many, many)).toThrow(new RangeError('expected at most 16 HKDF outputs, got 4294967295'));
  });
});

describe.each(BACKENDS)('hkdfMany: one extract, several outputs (%s)', (backend) => {
  test.each(['sha256', 'sha512'] as const)('%s: each output equals node:crypto hkdfSync, for lengths across block edges', (hash) => {
    const block = hash === 'sha256' ? 32 : 64;
    const lengths = [1, 16, block - 1, block, block + 1, 2 * block, 3 * block + 5, 255 * block];
    for (let round = 0; round < 20; round++) {
      const ikm = randomBytes(1 + round * 7), salt = randomBytes(round % 3 === 0 ? 0 : 32);
      const outputs = lengths.map((length, i) => [randomBytes(i * 3), length] as const);
      const got = hkdfMany(hash, ikm, salt, outputs, backend).map((b) => b.toString('hex'));
      const want = outputs.map(([info, length]) => Buffer.from(hkdfSync(hash, ikm, salt, info, length)).toString('hex'));
      expect(got).toEqual(want);
    }
  });

  test.each([0, -1, 1.5, 255 * 64 + 1])('an output length of %p is refused', (length) => {
    expect(() => hkdfMany('sha512', randomBytes(32), randomBytes(32), [['x', length]], backend)).toThrow(`expected an HKDF output length from 1 to ${255 * 64}, got ${length}`);
  });
});

// Header of format v1: field offsets, detection, structural checks, and the
// key check / authenticator that stop a wrong key or a tampered header.
import { createHmac, hkdfSync } from 'node:crypto';
import { createFileCipher, detectHeader, fileCipherFromHeader, HEADER_SIZE, MAGIC, openFileCipher, parseHeader } from '../../src/crypto';
import { isTakakryptError, TakakryptError } from '../../src/errors';
import type { KeyMaterial } from '../../src/keys/provider';
import { memoryProvider, TEST_ONLY_KEY_MATERIAL, TEST_ONLY_NONCE, testOnlyKey } from './helpers';

const key = testOnlyKey('hr.payroll', 7);
const { header } = createFileCipher(key, TEST_ONLY_NONCE);

function caught(fn: () => unknown): TakakryptError {
  try {
    fn();
  } catch (err) {
    if (isTakakryptError(err)) return err;
    throw err;
  }
  throw new Error('expected a TakakryptError, got none');
}

function mutated(offset: number, write: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(header);
  write(copy.subarray(offset));
  return copy;
}

describe('header layout (docs/FORMAT.md section 2)', () => {
  test.each([
    ['magic', (h: Buffer) => h.subarray(0, 8).toString('hex'), '89544b525950540a'],
    ['format version', (h: Buffer) => h.readUInt16LE(8), 1],
    ['algorithm id', (h: Buffer) => h.readUInt16LE(10), 1],
    ['header size', (h: Buffer) => h.readUInt32LE(12), 4096],
    ['data unit size', (h: Buffer) => h.readUInt32LE(16), 4096],
    ['flags', (h: Buffer) => h.readUInt32LE(20), 0],
    ['key version', (h: Buffer) => h.readUInt32LE(24), 7],
    ['key name length', (h: Buffer) => h.readUInt8(28), 10],
    ['file nonce', (h: Buffer) => h.subarray(32, 48).toString('hex'), TEST_ONLY_NONCE.toString('hex')],
    ['key name', (h: Buffer) => h.subarray(64, 128).toString('latin1').replace(/\0+$/, ''), 'hr.payroll'],
    ['reserved 29..31 zero', (h: Buffer) => h.subarray(29, 32).every((b) => b === 0), true],
    ['reserved 128..4063 zero', (h: Buffer) => h.subarray(128, 4064).every((b) => b === 0), true],
    ['total size', (h: Buffer) => h.length, 4096],
  ])('%s', (_field, read, expected) => {
    expect(read(header)).toEqual(expected);
  });

  test('parseHeader returns the fields', () => {
    const parsed = parseHeader(header);
    expect({ ...parsed, nonce: parsed.nonce.toString('hex'), keyCheck: parsed.keyCheck.length }).toEqual({
      version: 1, algorithm: 1, flags: 0, keyName: 'hr.payroll', keyVersion: 7,
      nonce: TEST_ONLY_NONCE.toString('hex'), keyCheck: 16,
    });
  });

  test('key check value and authenticator are as section 3 specifies', () => {
    const derive = (info: string) => Buffer.from(hkdfSync('sha512', TEST_ONLY_KEY_MATERIAL, TEST_ONLY_NONCE, info, 32));
    const kcv = derive('takakrypt v1 key check value').subarray(0, 16);
    const mac = createHmac('sha256', derive('takakrypt v1 header hmac-sha-256 key')).update(header.subarray(0, 4064)).digest();
    expect([header.subarray(48, 64).toString('hex'), header.subarray(4064).toString('hex')]).toEqual([kcv.toString('hex'), mac.toString('hex')]);
  });

  test('every new file gets a fresh random nonce', () => {
    const a = createFileCipher(key).header.subarray(32, 48);
    const b = createFileCipher(key).header.subarray(32, 48);
    expect(a.equals(b)).toBe(false);
  });
});

describe('detectHeader', () => {
  test.each([
    ['an empty file', Buffer.alloc(0), 0, 'no-header'],
    ['7 bytes of the magic', MAGIC.subarray(0, 7), 7, 'no-header'],
    ['a text file', Buffer.from('TKRYPT hello\n'), 13, 'no-header'],
    ['an ELF binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 8, 'no-header'],
    ['a full header', header, HEADER_SIZE, 'header'],
    ['a header and data', header, HEADER_SIZE + 10, 'header'],
  ])('%s', (_what, bytes, size, expected) => {
    expect(detectHeader(bytes, size)).toBe(expected);
  });

  test('fewer first bytes than the magic needs is CRYPTO_RANGE_INVALID, not a guess', () => {
    const err = caught(() => detectHeader(MAGIC.subarray(0, 3), 100));
    expect([err.code, err.message]).toEqual(['CRYPTO_RANGE_INVALID', 'expected the first 8 bytes of the lower file, got 3']);
  });

  test('the magic in a file shorter than a header is CRYPTO_HEADER_TRUNCATED', () => {
    const err = caught(() => detectHeader(header.subarray(0, 100), 100));
    expect([err.code, err.message]).toEqual(['CRYPTO_HEADER_TRUNCATED', 'expected a lower file of at least 4096 bytes after the header magic, got 100']);
  });
});

describe('parseHeader refuses what v1 does not allow', () => {
  test.each([
    ['plaintext', Buffer.from('just some text'), 'CRYPTO_NO_HEADER', 'expected the 4096-byte header starting with magic 89544b525950540a, got none: the file holds plaintext'],
    ['version 2', mutated(8, (b) => b.writeUInt16LE(2)), 'CRYPTO_UNSUPPORTED_VERSION', 'expected format version 1, got 2'],
    ['algorithm 9', mutated(10, (b) => b.writeUInt16LE(9)), 'CRYPTO_UNSUPPORTED_ALGORITHM', 'expected algorithm id 1 (AES-256-XTS), got 9'],
    ['header size 8192', mutated(12, (b) => b.writeUInt32LE(8192)), 'CRYPTO_HEADER_INVALID', 'expected header size 4096 at header offset 12, got 8192'],
    ['unit size 512', mutated(16, (b) => b.writeUInt32LE(512)), 'CRYPTO_HEADER_INVALID', 'expected data unit size 4096 at header offset 16, got 512'],
    ['flag bit 0', mutated(20, (b) => b.writeUInt32LE(1)), 'CRYPTO_UNKNOWN_FLAGS', 'expected flags 0x0, got 0x1'],
    ['flag bit 31', mutated(20, (b) => b.writeUInt32LE(0x80000000)), 'CRYPTO_UNKNOWN_FLAGS', 'expected flags 0x0, got 0x80000000'],
    ['key name length 0', mutated(28, (b) => b.writeUInt8(0)), 'CRYPTO_HEADER_INVALID', 'expected a key name length from 1 to 64 at header offset 28, got 0'],
    ['key name length 65', mutated(28, (b) => b.writeUInt8(65)), 'CRYPTO_HEADER_INVALID', 'expected a key name length from 1 to 64 at header offset 28, got 65'],
    ['key name length 4 (cut name)', mutated(28, (b) => b.writeUInt8(4)), 'CRYPTO_HEADER_INVALID', 'expected a valid key name padded with zero bytes at header offset 64, got "hr.p"'],
    ['a space in the key name', mutated(66, (b) => b.write(' ')), 'CRYPTO_HEADER_INVALID', 'expected a valid key name padded with zero bytes at header offset 64, got "hr pa'.concat('yroll"')],
    ['reserved byte 30', mutated(30, (b) => b.writeUInt8(1)), 'CRYPTO_HEADER_INVALID', 'expected reserved header bytes 29..31 to be zero, got a non-zero byte at offset 30'],
    ['reserved byte 2000', mutated(2000, (b) => b.writeUInt8(0x40)), 'CRYPTO_HEADER_INVALID', 'expected reserved header bytes 128..4063 to be zero, got a non-zero byte at offset 2000'],
  ])('%s', (_what, bytes, code, message) => {
    const err = caught(() => parseHeader(bytes));
    expect([err.code, err.message]).toEqual([code, message]);
  });
});

describe('wrong key or tampered header is refused before any data', () => {
  const other: KeyMaterial = { name: 'hr.payroll', version: 7, material: Buffer.alloc(32, 0x5a) };
  const sameMaterialV8: KeyMaterial = { name: 'hr.payroll', version: 8, material: Buffer.from(TEST_ONLY_KEY_MATERIAL) };

  test.each([
    { what: 'the right key', bytes: header, material: key, expected: 'ok' },
    { what: 'other material under the same name and version', bytes: header, material: other, expected: 'CRYPTO_KEY_MISMATCH' },
    { what: 'key version field changed to 8 (same material under v8)', bytes: mutated(24, (b) => b.writeUInt32LE(8)), material: sameMaterialV8, expected: 'CRYPTO_HEADER_TAMPERED' },
    { what: 'key name changed (same material)', bytes: mutated(64, (b) => b.write('HR')), material: { ...key, name: 'HR.payroll' }, expected: 'CRYPTO_HEADER_TAMPERED' },
    { what: 'nonce changed', bytes: mutated(40, (b) => b.writeUInt8(b[0] ^ 1)), material: key, expected: 'CRYPTO_KEY_MISMATCH' },
    { what: 'key check value changed', bytes: mutated(50, (b) => b.writeUInt8(b[0] ^ 1)), material: key, expected: 'CRYPTO_KEY_MISMATCH' },
    { what: 'authenticator changed', bytes: mutated(4095, (b) => b.writeUInt8(b[0] ^ 0x80)), material: key, expected: 'CRYPTO_HEADER_TAMPERED' },
    { what: 'a key of another version handed over', bytes: header, material: { ...key, version: 6 }, expected: 'CRYPTO_KEY_MISMATCH' },
  ])('$what -> $expected', ({ bytes, material, expected }) => {
    const outcome = (() => {
      try {
        fileCipherFromHeader(bytes, { ...material, material: Buffer.from(material.material) }).dispose();
        return 'ok';
      } catch (err) {
        if (!isTakakryptError(err)) throw err;
        expect(err.message).not.toContain(TEST_ONLY_KEY_MATERIAL.toString('hex'));
        return err.code;
      }
    })();
    expect(outcome).toBe(expected);
  });

  test('a flipped bit at any of the 4096 header offsets is refused', () => {
    const outcomes = new Map<string, number>();
    for (let offset = 0; offset < HEADER_SIZE; offset++) {
      for (const bit of [0x01, 0x80]) {
        const bytes = mutated(offset, (b) => b.writeUInt8(b[0] ^ bit));
        let outcome = 'accepted';
        try {
          fileCipherFromHeader(bytes, testOnlyKey('hr.payroll', 7)).dispose();
        } catch (err) {
          outcome = isTakakryptError(err) ? err.code : String(err);
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    expect([...outcomes.keys()].filter((o) => !o.startsWith('CRYPTO_'))).toEqual([]);
    expect(outcomes.get('CRYPTO_HEADER_TAMPERED')).toBeGreaterThan(0);
  });

  test('the wrong-key message names the key and version the file needs', () => {
    const err = caught(() => fileCipherFromHeader(header, other));
    expect(err.message).toBe('expected the key this file was encrypted with (hr.payroll version 7), got key material whose check value differs');
    expect(err.details).toEqual({ keyName: 'hr.payroll', keyVersion: 7 });
  });

  test('openFileCipher fetches the named version and zeroes the material it was given', async () => {
    const handedOut: Buffer[] = [];
    const provider = memoryProvider([testOnlyKey('hr.payroll', 6), testOnlyKey('hr.payroll', 7)]);
    const spy = { ...provider, getKey: async (n: string, v?: number) => {
      const k = await provider.getKey(n, v);
      handedOut.push(k.material);
      return k;
    } };
    const cipher = await openFileCipher(header, spy);
    expect([cipher.header.keyName, cipher.header.keyVersion]).toEqual(['hr.payroll', 7]);
    expect(handedOut.map((m) => m.every((b) => b === 0))).toEqual([true]);
    cipher.dispose();
  });
});

describe('createFileCipher refuses unusable keys', () => {
  test.each([
    ['31-byte material', { name: 'k', version: 1, material: Buffer.alloc(31, 1) }, 'expected 32 bytes of key material, got 31 bytes'],
    ['the reserved name clear_key', { name: 'clear_key', version: 1, material: Buffer.alloc(32, 1) }, 'expected a key name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ other than "clear_key", got "clear_key"'],
    ['a name with a slash', { name: 'a/b', version: 1, material: Buffer.alloc(32, 1) }, 'expected a key name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ other than "clear_key", got "a/b"'],
    ['a 65-character name', { name: 'k'.repeat(65), version: 1, material: Buffer.alloc(32, 1) }, `expected a key name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ other than "clear_key", got "${'k'.repeat(65)}"`],
    ['version -1', { name: 'k', version: -1, material: Buffer.alloc(32, 1) }, 'expected a key version from 0 to 4294967295, got -1'],
    ['version 2^32', { name: 'k', version: 2 ** 32, material: Buffer.alloc(32, 1) }, 'expected a key version from 0 to 4294967295, got 4294967296'],
  ])('%s', (_what, material, message) => {
    const err = caught(() => createFileCipher(material));
    expect([err.code, err.message]).toEqual(['CRYPTO_KEY_INVALID', message]);
  });

  test('a 64-character name fits', () => {
    const long = createFileCipher({ name: 'k'.repeat(64), version: 1, material: Buffer.alloc(32, 1) });
    expect(parseHeader(long.header).keyName).toBe('k'.repeat(64));
  });
});

import { CipherCache, DEFAULT_CIPHER_CACHE_SIZE, type CipherMirror } from '../../src/agent/cipher-cache';
import { OFFSET } from '../../src/crypto/constants';
import { createFileCipher, type FileCipher } from '../../src/crypto';
import { isTakakryptError } from '../../src/errors';
import { testOnlyKey } from '../crypto/helpers';

function fileCipher(): { header: Buffer; cipher: FileCipher } {
  return createFileCipher(testOnlyKey());
}

function disposed(cipher: FileCipher): boolean {
  try {
    cipher.encryptUnits(0, Buffer.alloc(16));
    return false;
  } catch (err) {
    return isTakakryptError(err, 'CRYPTO_CIPHER_DISPOSED');
  }
}

describe('CipherCache', () => {
  test('least recently used out first, and disposed', () => {
    const cache = new CipherCache(2);
    const [a, b, c] = [fileCipher(), fileCipher(), fileCipher()];
    cache.put(a.header, a.cipher);
    cache.put(b.header, b.cipher);
    expect(cache.get(a.header)).toBe(a.cipher); // a is now the most recent
    cache.put(c.header, c.cipher);
    expect([cache.size, cache.get(b.header), disposed(b.cipher)]).toEqual([2, undefined, true]);
    expect([cache.get(a.header), cache.get(c.header)]).toEqual([a.cipher, c.cipher]);
    expect([disposed(a.cipher), disposed(c.cipher)]).toEqual([false, false]);
  });

  test('a header equal to a cached one keeps the cached cipher and disposes the newcomer', () => {
    const cache = new CipherCache(4);
    const a = fileCipher();
    cache.put(a.header, a.cipher);
    const twin = createFileCipher(testOnlyKey(), a.cipher.header.nonce);
    expect(twin.header.equals(a.header)).toBe(true);
    expect(cache.put(twin.header, twin.cipher)).toBe(a.cipher);
    expect([disposed(twin.cipher), disposed(a.cipher), cache.size]).toEqual([true, false, 1]);
  });

  test('a header with the same MAC but other bytes is not a hit', () => {
    const cache = new CipherCache(4);
    const a = fileCipher();
    cache.put(a.header, a.cipher);
    const forged = Buffer.from(a.header);
    forged[40] ^= 1;
    expect(cache.get(forged)).toBeUndefined();
  });

  test.each([[200, 'a reserved byte'], [4063, 'the last reserved byte'], [4070, 'the MAC']])('a header differing at byte %p (%s) is not a hit', (offset) => {
    const cache = new CipherCache(4);
    const a = fileCipher();
    cache.put(a.header, a.cipher);
    const forged = Buffer.from(a.header);
    forged[offset] ^= 1;
    expect([cache.get(forged), cache.get(forged.subarray(0, 4095)), cache.get(a.header)]).toEqual([undefined, undefined, a.cipher]);
  });

  test('a header kept whole (non-zero reserved bytes) matches only itself', () => {
    const cache = new CipherCache(4);
    const a = fileCipher();
    const odd = Buffer.from(a.header);
    odd[300] = 7;
    cache.put(odd, a.cipher);
    expect([cache.get(odd), cache.get(a.header)]).toEqual([a.cipher, undefined]);
  });

  test('an entry keeps 128 header bytes in memory of their own, not a slice of a shared pool', () => {
    const cache = new CipherCache(4);
    const a = fileCipher();
    cache.put(a.header, a.cipher);
    const entries = (cache as unknown as { entries: Map<string, { kept: Buffer }> }).entries;
    const [{ kept }] = [...entries.values()];
    expect([kept.length, kept.byteOffset, kept.buffer.byteLength]).toEqual([128, 0, 128]);
  });

  test('the default capacity covers a large extraction between flushes', () => {
    expect(new CipherCache().capacity).toBe(DEFAULT_CIPHER_CACHE_SIZE);
    expect(DEFAULT_CIPHER_CACHE_SIZE).toBeGreaterThanOrEqual(16384);
  });

  test('the cached header is a copy: changing the caller\'s Buffer changes nothing', () => {
    const cache = new CipherCache(4);
    const a = fileCipher();
    const original = Buffer.from(a.header);
    cache.put(a.header, a.cipher);
    a.header.fill(0);
    expect(cache.get(original)).toBe(a.cipher);
  });

  test('clear disposes every cipher', () => {
    const cache = new CipherCache(4);
    const all = [fileCipher(), fileCipher()];
    for (const { header, cipher } of all) cache.put(header, cipher);
    cache.clear();
    expect([cache.size, ...all.map(({ cipher }) => disposed(cipher))]).toEqual([0, true, true]);
  });

  test('the mirror is told of every file that comes and goes: put, eviction (before the add), clear', () => {
    const told: string[] = [];
    const name = (mac: Buffer) => mac.toString('hex').slice(0, 8);
    const mirror: CipherMirror = {
      add: (header, cipher) => told.push(`add ${name(header.subarray(OFFSET.mac))} ${cipher.header.keyName}`),
      remove: (mac) => told.push(`remove ${name(mac)}`),
      clear: () => told.push('clear'),
    };
    const cache = new CipherCache(2, mirror);
    const [a, b, c] = [fileCipher(), fileCipher(), fileCipher()];
    for (const f of [a, b, c]) cache.put(f.header, f.cipher);
    cache.put(c.header, c.cipher);
    cache.clear();
    const [ma, mb, mc] = [a, b, c].map((f) => name(f.header.subarray(OFFSET.mac)));
    expect(told).toEqual([
      `add ${ma} test-only-key`, `add ${mb} test-only-key`, `remove ${ma}`, `add ${mc} test-only-key`, `add ${mc} test-only-key`, 'clear',
    ]);
  });

  test('files the mirror used are kept as recently used: the least recently used of the rest leaves', () => {
    const [a, b, c] = [fileCipher(), fileCipher(), fileCipher()];
    let used: Buffer[] = [];
    const removed: string[] = [];
    const mirror: CipherMirror = {
      add: () => undefined, clear: () => undefined,
      remove: (mac) => removed.push(mac.toString('hex')),
      touched: () => { const out = used; used = []; return out; },
    };
    const cache = new CipherCache(2, mirror);
    cache.put(a.header, a.cipher);
    cache.put(b.header, b.cipher);
    used = [a.header.subarray(OFFSET.mac)];
    cache.put(c.header, c.cipher);
    expect(removed).toEqual([b.header.subarray(OFFSET.mac).toString('hex')]);
    expect([cache.get(a.header), cache.get(b.header), disposed(b.cipher)]).toEqual([a.cipher, undefined, true]);
  });

  test.each([0, -1, 1.5])('capacity %p is refused', (capacity) => {
    expect(() => new CipherCache(capacity)).toThrow(new RangeError(`expected a cipher cache capacity of at least 1, got ${capacity}`));
  });
});

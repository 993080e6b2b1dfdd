// The addon's cipher table and the data requests it answers without the
// agent (addon/src/data_path.cc): the same bytes as the agent's own
// FileCipher, and every request it must leave to the agent left alone.
import { createFileCipher, fileCipherFromHeader, type FileCipher } from '../../src/crypto/file-cipher';
import { parseHeader } from '../../src/crypto/header';
import { deriveFileKeys } from '../../src/crypto/derive';
import { OFFSET } from '../../src/crypto/constants';
import { loadAddon, type NativeCipherTable, type NativeCryptReq } from '../../src/kernel/native';
import { CipherCache } from '../../src/agent/cipher-cache';
import { mirrorInto } from '../../src/agent/data-path';
import { createHmac } from 'crypto';
import { chmodSync, lstatSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'fs';
import { join } from 'path';
import { keyFileStamp } from '../../src/keys/provider';
import { pattern, testOnlyKey } from '../crypto/helpers';
import { tempDir } from '../keys/helpers';
import { attr, cstr, genlMessage } from './netlink-bytes';

const { codec, constants, CipherTable } = loadAddon();
const A = constants.attributes;
const OP = constants.cryptOps;
const U = 4096;
const FAMILY = 0x21;
const MAX_UNIT_INDEX = Math.floor(Number.MAX_SAFE_INTEGER / U) - 1;

function newFile(): { header: Buffer; cipher: FileCipher } {
  return createFileCipher(testOnlyKey('k', 1));
}

function message(op: 'ENCRYPT' | 'DECRYPT', header: Buffer, firstUnit: number, data: Buffer, over: Partial<NativeCryptReq> = {}): Buffer {
  const units: Buffer[] = [];
  for (let off = 0; off < data.length; off += U) units.push(attr(A.DATA, data.subarray(off, off + U)));
  const fixed = codec.encodeCryptReq({
    requestId: 77, op: OP[op], pid: 1, uid: 0, inode: 12n, firstUnit: BigInt(firstUnit), length: data.length, reserved: 0, ...over,
  });
  return genlMessage(FAMILY, constants.commands.CRYPT_REQ, [
    attr(A.CRYPT_REQ, fixed), attr(A.FILE_HEADER, header), attr(A.GUARD_POINT, cstr('/gp')), ...units,
  ]);
}

const replyWith = (data: Buffer, requestId = 77): Buffer =>
  codec.encodeCryptReplyMessage(FAMILY, { requestId, status: 0, reason: constants.cryptReasons.NONE, data });

function tableWith(...files: { header: Buffer; cipher: FileCipher }[]): NativeCipherTable {
  const table = new CipherTable(16);
  for (const f of files) mirrorInto(table).add(f.header, f.cipher);
  return table;
}

describe('data requests answered from the cipher table', () => {
  // Whole units, a zero unit (stays zero), a 20-byte tail (XTS with
  // ciphertext stealing) and a 10-byte tail (the keystream).
  const shapes: [string, number, Buffer][] = [
    ['one whole unit', 0, pattern(U, 3)],
    ['30 units from unit 5', 5, pattern(30 * U, 4)],
    ['a zero unit between two others', 9, Buffer.concat([pattern(U, 5), Buffer.alloc(U), pattern(U, 6)])],
    ['a 20-byte last unit', 2, pattern(2 * U + 20, 7)],
    ['a 10-byte last unit', 1, pattern(U + 10, 8)],
    ['a lone 3-byte unit', 4, pattern(3, 9)],
    ['a 16-byte last unit', 3, pattern(U + 16, 15)],
    ['a 15-byte last unit', 3, pattern(U + 15, 16)],
    ['a zero 9-byte last unit', 3, Buffer.concat([pattern(U, 17), Buffer.alloc(9)])],
    ['a 4095-byte unit', 8, pattern(4095, 18)],
    ['a 1-byte unit past index 2^32', 2 ** 32 + 5, pattern(1, 19)],
    ['a unit and a short tail past index 2^32', 2 ** 32 - 1, pattern(U + 7, 20)],
    ['30 zero units', 0, Buffer.alloc(30 * U)],
    ['the last unit index there is', MAX_UNIT_INDEX, pattern(U, 10)],
  ];

  test.each(shapes)('ENCRYPT then DECRYPT of %s: the bytes FileCipher gives', (_name, first, plain) => {
    const file = newFile();
    const table = tableWith(file);
    const enc = message('ENCRYPT', file.header, first, plain);
    const served = codec.serveCryptMessage(table, enc);
    const expected = file.cipher.encryptUnits(first, plain);
    expect(served).toEqual({ served: 'yes', requestId: 77, reply: replyWith(expected) });
    const back = codec.serveCryptMessage(table, message('DECRYPT', file.header, first, expected));
    expect(back.reply?.equals(replyWith(plain))).toBe(true);
  });

  test('the input the keystream sends to zeros becomes the keystream (zero-unit rule of a short tail)', () => {
    const file = newFile();
    const table = tableWith(file);
    const ones = Buffer.alloc(7, 1);
    const keystream = Buffer.from(file.cipher.encryptUnits(6, ones).map((b) => b ^ 1));
    expect(file.cipher.encryptUnits(6, keystream).equals(keystream)).toBe(true);
    const served = codec.serveCryptMessage(table, message('ENCRYPT', file.header, 6, keystream));
    expect(served.reply?.equals(replyWith(keystream))).toBe(true);
  });

  test('each file is answered with its own keys', () => {
    const [a, b] = [newFile(), newFile()];
    const table = tableWith(a, b);
    const plain = pattern(U, 11);
    expect(codec.serveCryptMessage(table, message('ENCRYPT', b.header, 0, plain)).reply?.equals(replyWith(b.cipher.encryptUnits(0, plain)))).toBe(true);
    expect(codec.serveCryptMessage(table, message('ENCRYPT', a.header, 0, plain)).reply?.equals(replyWith(a.cipher.encryptUnits(0, plain)))).toBe(true);
  });
});

describe('requests left to the agent, untouched', () => {
  const file = newFile();
  const plain = pattern(2 * U, 12);
  const cases: [string, () => [NativeCipherTable, Buffer]][] = [
    ['a file not in the table', () => [new CipherTable(4), message('ENCRYPT', file.header, 0, plain)]],
    ['a header differing in its key name (same MAC)', () => {
      const forged = Buffer.from(file.header);
      forged[OFFSET.keyName] ^= 1;
      return [tableWith(file), message('ENCRYPT', forged, 0, plain)];
    }],
    ['a header with a reserved byte set (same MAC)', () => {
      const odd = Buffer.from(file.header);
      odd[OFFSET.reservedB + 100] = 1;
      return [tableWith(file), message('DECRYPT', odd, 0, plain)];
    }],
    ['a run past the last unit index', () => [tableWith(file), message('ENCRYPT', file.header, MAX_UNIT_INDEX, plain)]],
    ['a malformed request (units short of its length)', () => [tableWith(file), message('ENCRYPT', file.header, 0, plain, { length: 3 * U })]],
  ];
  test.each(cases)('%s', (_name, make) => {
    const [table, msg] = make();
    const before = Buffer.from(msg);
    expect(codec.serveCryptMessage(table, msg)).toEqual({ served: 'no' });
    expect(msg.equals(before)).toBe(true);
  });
});

test('an OpenSSL failure is reported with the request id, for the agent to fail the request', () => {
  const file = newFile();
  const table = new CipherTable(4);
  // OpenSSL refuses to encrypt under an XTS key whose halves are equal.
  expect(table.add(file.header, Buffer.alloc(64, 7), Buffer.alloc(32, 1))).toBe(true);
  const served = codec.serveCryptMessage(table, message('ENCRYPT', file.header, 0, pattern(U, 13)));
  expect(served).toEqual({ served: 'failed', requestId: 77, failure: expect.stringMatching(/^AES-256-XTS key set-up failed: .+/) });
});

describe('XTS contexts kept with the file keys', () => {
  const keysOf = (f: { cipher: FileCipher }) => f.cipher.withKeys((x, t) => [Buffer.from(x), Buffer.from(t)] as const);
  const serve = (table: NativeCipherTable, op: 'ENCRYPT' | 'DECRYPT', f: { header: Buffer }, first: number, data: Buffer) =>
    codec.serveCryptMessage(table, message(op, f.header, first, Buffer.from(data))).reply;

  test('a file sets up one context per direction and uses it for every later request; each reply is still FileCipher\'s bytes', () => {
    const file = newFile();
    const table = tableWith(file);
    expect(table.xtsContexts).toEqual({ live: 0, made: 0 });
    const runs: [number, Buffer][] = [[3, pattern(2 * U, 30)], [0, pattern(U + 20, 31)], [3, pattern(2 * U, 32)], [2 ** 32, pattern(U, 33)]];
    for (const [first, plain] of runs) {
      const cipher = file.cipher.encryptUnits(first, plain);
      expect(serve(table, 'ENCRYPT', file, first, plain)?.equals(replyWith(cipher))).toBe(true);
      expect(serve(table, 'DECRYPT', file, first, cipher)?.equals(replyWith(plain))).toBe(true);
    }
    expect(table.xtsContexts).toEqual({ live: 2, made: 2 });
  });

  test('a request of short tails only sets up no context', () => {
    const file = newFile();
    const table = tableWith(file);
    expect(serve(table, 'ENCRYPT', file, 4, pattern(9, 34))?.equals(replyWith(file.cipher.encryptUnits(4, pattern(9, 34))))).toBe(true);
    expect(table.xtsContexts).toEqual({ live: 0, made: 0 });
  });

  test('keys added again for the same header are used at once: the old keys\' context goes with them', () => {
    const [a, b] = [newFile(), newFile()];
    const table = tableWith(a);
    const plain = pattern(U, 35);
    expect(serve(table, 'ENCRYPT', a, 0, plain)?.equals(replyWith(a.cipher.encryptUnits(0, plain)))).toBe(true);
    expect(table.add(a.header, ...keysOf(b))).toBe(true);
    expect(table.xtsContexts).toEqual({ live: 0, made: 1 });
    expect(serve(table, 'ENCRYPT', a, 0, plain)?.equals(replyWith(b.cipher.encryptUnits(0, plain)))).toBe(true);
    expect(table.xtsContexts).toEqual({ live: 1, made: 2 });
  });

  test('removing a file or clearing the table frees its contexts', () => {
    const [a, b] = [newFile(), newFile()];
    const table = tableWith(a, b);
    for (const f of [a, b]) {
      serve(table, 'DECRYPT', f, 0, pattern(U, 36));
      serve(table, 'ENCRYPT', f, 0, pattern(U, 36));
    }
    expect(table.xtsContexts).toEqual({ live: 4, made: 4 });
    expect(table.remove(a.header.subarray(OFFSET.mac))).toBe(true);
    expect(table.xtsContexts.live).toBe(2);
    table.clear();
    expect(table.xtsContexts.live).toBe(0);
  });

  test('at most 1024 files keep contexts: the first to keep one lets go first and sets it up again when next used', () => {
    const files = Array.from({ length: 1030 }, newFile);
    const table = new CipherTable(2048);
    for (const f of files) mirrorInto(table).add(f.header, f.cipher);
    const plain = pattern(U, 37);
    for (const f of files) serve(table, 'ENCRYPT', f, 1, plain);
    expect(table.xtsContexts).toEqual({ live: 1024, made: 1030 });
    // files[0] let go (set up again); files[7] still keeps its own.
    expect(serve(table, 'ENCRYPT', files[0], 1, plain)?.equals(replyWith(files[0].cipher.encryptUnits(1, plain)))).toBe(true);
    expect(table.xtsContexts).toEqual({ live: 1024, made: 1031 });
    expect(serve(table, 'ENCRYPT', files[7], 1, plain)?.equals(replyWith(files[7].cipher.encryptUnits(1, plain)))).toBe(true);
    expect(table.xtsContexts).toEqual({ live: 1024, made: 1031 });
    // A second direction of a file that keeps one adds to it, pushing none out.
    expect(serve(table, 'DECRYPT', files[1029], 1, files[1029].cipher.encryptUnits(1, plain))?.equals(replyWith(plain))).toBe(true);
    expect(table.xtsContexts).toEqual({ live: 1025, made: 1032 });
  });

  test('an OpenSSL failure frees the file\'s contexts; the next request sets up again and fails the same way', () => {
    const file = newFile();
    const table = new CipherTable(4);
    // OpenSSL decrypts under an XTS key whose halves are equal, but refuses to encrypt.
    expect(table.add(file.header, Buffer.alloc(64, 7), Buffer.alloc(32, 1))).toBe(true);
    expect(codec.serveCryptMessage(table, message('DECRYPT', file.header, 0, pattern(U, 38))).served).toBe('yes');
    expect(table.xtsContexts).toEqual({ live: 1, made: 1 });
    for (let i = 0; i < 2; i++) {
      expect(codec.serveCryptMessage(table, message('ENCRYPT', file.header, 0, pattern(U, 38)))).toEqual({
        served: 'failed', requestId: 77, failure: expect.stringMatching(/^AES-256-XTS key set-up failed: .+/),
      });
      expect(table.xtsContexts.live).toBe(0);
    }
  });
});

describe('CipherTable', () => {
  test('add, remove by MAC, clear', () => {
    const [a, b] = [newFile(), newFile()];
    const table = tableWith(a, b);
    expect([table.size, table.capacity]).toEqual([2, 16]);
    expect(table.remove(a.header.subarray(OFFSET.mac))).toBe(true);
    expect(table.remove(a.header.subarray(OFFSET.mac))).toBe(false);
    expect(codec.serveCryptMessage(table, message('ENCRYPT', a.header, 0, pattern(U))).served).toBe('no');
    expect(codec.serveCryptMessage(table, message('ENCRYPT', b.header, 0, pattern(U))).served).toBe('yes');
    table.clear();
    expect(table.size).toBe(0);
    expect(codec.serveCryptMessage(table, message('ENCRYPT', b.header, 0, pattern(U))).served).toBe('no');
  });

  test('a full table takes no new file but still replaces one it has', () => {
    const [a, b] = [newFile(), newFile()];
    const table = new CipherTable(1);
    const keys = (f: { cipher: FileCipher }) => f.cipher.withKeys((x, t) => [Buffer.from(x), Buffer.from(t)] as const);
    expect(table.add(a.header, ...keys(a))).toBe(true);
    expect(table.add(b.header, ...keys(b))).toBe(false);
    expect(table.add(a.header, ...keys(b))).toBe(true);
    expect(table.size).toBe(1);
  });

  test('a header with a reserved byte set is not kept, and drops the entry with its MAC', () => {
    const a = newFile();
    const table = tableWith(a);
    const odd = Buffer.from(a.header);
    odd[OFFSET.reservedB] = 9;
    expect(a.cipher.withKeys((x, t) => table.add(odd, x, t))).toBe(false);
    expect(table.size).toBe(0);
  });

  test.each([
    ['a short header', [Buffer.alloc(4095), Buffer.alloc(64), Buffer.alloc(32)]],
    ['a short XTS key', [Buffer.alloc(4096), Buffer.alloc(32), Buffer.alloc(32)]],
    ['a tail key as a string', [Buffer.alloc(4096), Buffer.alloc(64), 'x'.repeat(32)]],
    ['two arguments', [Buffer.alloc(4096), Buffer.alloc(64)]],
  ])('add refuses %s', (_name, args) => {
    const table = new CipherTable(1) as unknown as { add: (...a: unknown[]) => boolean };
    expect(() => table.add(...args)).toThrow('expected add(header: 4096-byte Buffer, xtsKey: 64-byte Buffer, tailKey: 32-byte Buffer)');
  });

  test.each([0, -1, 1.5, 2 ** 21, Number.NaN])('capacity %p is refused', (capacity) => {
    expect(() => new CipherTable(capacity)).toThrow('expected a capacity from 1 to 1048576 files');
  });

  test('remove refuses anything but a 32-byte MAC', () => {
    expect(() => new CipherTable(1).remove(Buffer.alloc(31))).toThrow('expected remove(mac: 32-byte Buffer)');
  });

  test('serveCryptMessage takes only a CipherTable', () => {
    const msg = message('ENCRYPT', newFile().header, 0, pattern(U));
    const serve = codec.serveCryptMessage as unknown as (t: unknown, m: Buffer) => unknown;
    expect(() => serve({}, msg)).toThrow('expected (table: CipherTable, message: Buffer holding one whole netlink message)');
    expect(() => serve(null, msg)).toThrow('expected (table: CipherTable');
    expect(() => serve(new CipherTable(1), msg.subarray(0, 30))).toThrow('expected (table: CipherTable');
  });
});

describe('the cache and the table stay in step', () => {
  test('a full cache makes room in the table before adding: the newest file is served', () => {
    const table = new CipherTable(2);
    const cache = new CipherCache(2, mirrorInto(table));
    const files = [newFile(), newFile(), newFile()];
    for (const f of files) cache.put(f.header, f.cipher);
    const served = files.map((f) => codec.serveCryptMessage(table, message('ENCRYPT', f.header, 0, pattern(U))).served);
    expect([table.size, ...served]).toEqual([2, 'no', 'yes', 'yes']);
  });

  test('a file only the addon served stays; the least recently used of the others leaves', () => {
    const table = new CipherTable(2);
    const cache = new CipherCache(2, mirrorInto(table));
    const [a, b, c] = [newFile(), newFile(), newFile()];
    cache.put(a.header, a.cipher);
    cache.put(b.header, b.cipher);
    expect(codec.serveCryptMessage(table, message('DECRYPT', a.header, 0, pattern(U))).served).toBe('yes');
    cache.put(c.header, c.cipher);
    const served = [a, b, c].map((f) => codec.serveCryptMessage(table, message('DECRYPT', f.header, 0, pattern(U))).served);
    expect(served).toEqual(['yes', 'no', 'yes']);
    expect([cache.get(a.header) === a.cipher, cache.get(b.header)]).toEqual([true, undefined]);
  });

  test('takeTouched names each served file once, then starts over', () => {
    const [a, b] = [newFile(), newFile()];
    const table = tableWith(a, b);
    for (const f of [b, a, b]) codec.serveCryptMessage(table, message('ENCRYPT', f.header, 0, pattern(U)));
    const mac = (f: { header: Buffer }) => f.header.subarray(OFFSET.mac);
    expect(table.takeTouched().equals(Buffer.concat([mac(b), mac(a)]))).toBe(true);
    expect(table.takeTouched().length).toBe(0);
  });
});

describe('hostile callers of the addon', () => {
  test('a getter of one class refuses an object of another', () => {
    const { Channel } = loadAddon();
    const getter = (cls: { prototype: object }, name: string) => Object.getOwnPropertyDescriptor(cls.prototype, name)?.get as () => unknown;
    expect(() => getter(Channel, 'servedInAddon').call(new CipherTable(1))).toThrow('Illegal invocation: expected a Channel');
    expect(() => getter(Channel, 'familyId').call({})).toThrow('Illegal invocation: expected a Channel');
    expect(() => getter(CipherTable, 'size').call(new (class {})())).toThrow('Illegal invocation: expected a CipherTable');
    expect(getter(CipherTable, 'capacity').call(new CipherTable(3))).toBe(3);
  });

  test('a setter on Object.prototype that frees the message cannot reach the reply', () => {
    const file = newFile();
    const table = tableWith(file);
    const plain = pattern(2 * U, 14);
    const msg = message('ENCRYPT', file.header, 0, Buffer.from(plain));
    // The addon makes objects in node's main realm, not in the test's.
    const addonObjectPrototype = Object.getPrototypeOf(codec.decodeCryptReply(Buffer.alloc(constants.sizes.cryptReply))) as object;
    let ran = 0;
    Object.defineProperty(addonObjectPrototype, 'requestId', {
      configurable: true,
      set(value: unknown) {
        ran += 1;
        // The memory changes hands and its new owner overwrites it.
        new Uint8Array(structuredClone(msg.buffer, { transfer: [msg.buffer as ArrayBuffer] })).fill(0x77);
        Object.defineProperty(this, 'requestId', { value, enumerable: true, writable: true, configurable: true });
      },
    });
    let served;
    try {
      served = codec.serveCryptMessage(table, msg);
    } finally {
      delete (addonObjectPrototype as { requestId?: unknown }).requestId;
    }
    expect([ran, msg.length]).toEqual([1, 0]);
    expect(served.reply?.equals(replyWith(file.cipher.encryptUnits(0, plain)))).toBe(true);
  });

  test('a reply whose data getter detaches the header is refused, not read', () => {
    const header = Buffer.alloc(constants.fileHeaderSize, 1);
    const reply = {
      requestId: 3, status: 0, reason: 0, header,
      get data(): undefined {
        structuredClone(header.buffer, { transfer: [header.buffer as ArrayBuffer] });
        return undefined;
      },
    };
    expect(() => codec.encodeCryptReplyMessage(FAMILY, reply)).toThrow('expected `header` to be a Buffer of 4096 to 4096 bytes');
  });
});

describe('NEW_HEADER answered from the pool of ready-made headers', () => {
  const newHeaderMessage = (guardPoint = '/gp', policyName = 'pol', requestId = 61): Buffer =>
    genlMessage(FAMILY, constants.commands.CRYPT_REQ, [
      attr(A.CRYPT_REQ, codec.encodeCryptReq({ requestId, op: OP.NEW_HEADER, pid: 1, uid: 0, inode: 9n, firstUnit: 0n, length: 0, reserved: 0 })),
      attr(A.GUARD_POINT, cstr(guardPoint)), attr(A.PATH, cstr('/new.txt')), attr(A.POLICY_NAME, cstr(policyName)),
    ]);
  // The reply's own header, then the spares: one attribute each after it.
  const headerReply = (header: Buffer, requestId = 61, ...spares: Buffer[]): Buffer => {
    const one = codec.encodeCryptReplyMessage(FAMILY, { requestId, status: 0, reason: constants.cryptReasons.NONE, header });
    const all = Buffer.concat([one, ...spares.map((h) => attr(A.FILE_HEADER, h))]);
    all.writeUInt32LE(all.length, 0);
    return all;
  };
  const MAX_SPARES = 15;

  test('oldest first, once each, for its own guard point and policy only', () => {
    const table = new CipherTable(8);
    const [a, b] = [newFile(), newFile()];
    expect([table.stock('/gp', 'pol', a.header), table.stock('/gp', 'pol', b.header), table.pooled('/gp', 'pol')]).toEqual([true, true, 2]);
    expect(codec.serveCryptMessage(table, newHeaderMessage('/gp', 'other')).served).toBe('no');
    expect(codec.serveCryptMessage(table, newHeaderMessage('/gp2', 'pol')).served).toBe('no');
    // The second goes along as a spare for the kernel's next new file.
    expect(codec.serveCryptMessage(table, newHeaderMessage())).toEqual({ served: 'yes', requestId: 61, reply: headerReply(a.header, 61, b.header) });
    expect([codec.serveCryptMessage(table, newHeaderMessage()).served, table.pooled('/gp', 'pol')]).toEqual(['no', 0]);
  });

  test(`one reply carries at most ${MAX_SPARES} spares; the next reply the rest`, () => {
    const table = new CipherTable(8);
    const headers = Array.from({ length: MAX_SPARES + 3 }, () => newFile().header);
    headers.forEach((h) => table.stock('/gp', 'pol', h));
    const first = codec.serveCryptMessage(table, newHeaderMessage());
    expect(first.reply?.equals(headerReply(headers[0], 61, ...headers.slice(1, MAX_SPARES + 1)))).toBe(true);
    expect(table.pooled('/gp', 'pol')).toBe(2);
    const second = codec.serveCryptMessage(table, newHeaderMessage('/gp', 'pol', 62));
    expect(second.reply?.equals(headerReply(headers[MAX_SPARES + 1], 62, headers[MAX_SPARES + 2]))).toBe(true);
    expect(table.pooled('/gp', 'pol')).toBe(0);
  });

  test('no spares with a pool age under the kernel\'s keeping time (1 s): the file\'s own header only', () => {
    const table = new CipherTable(8, 999);
    const [a, b] = [newFile(), newFile()];
    table.stock('/gp', 'pol', a.header);
    table.stock('/gp', 'pol', b.header);
    expect(codec.serveCryptMessage(table, newHeaderMessage()).reply?.equals(headerReply(a.header))).toBe(true);
    expect(codec.serveCryptMessage(table, newHeaderMessage('/gp', 'pol', 62)).reply?.equals(headerReply(b.header, 62))).toBe(true);
  });

  test('a header made more than (pool age - 1 s) ago is a reply\'s own header, never a spare', async () => {
    const table = new CipherTable(8, 1400);
    const [a, b, c] = [newFile(), newFile(), newFile()];
    table.stock('/gp', 'pol', a.header);
    table.stock('/gp', 'pol', b.header);
    await new Promise((r) => setTimeout(r, 600));
    table.stock('/gp', 'pol', c.header);
    // a and b are 600 ms old, over the 400 ms a spare may be: a goes alone.
    expect(codec.serveCryptMessage(table, newHeaderMessage()).reply?.equals(headerReply(a.header))).toBe(true);
    // b is the reply's own, c (fresh) its spare.
    expect(codec.serveCryptMessage(table, newHeaderMessage('/gp', 'pol', 62)).reply?.equals(headerReply(b.header, 62, c.header))).toBe(true);
  });

  test('a header older than the pool age is not handed out', async () => {
    const table = new CipherTable(8, 0);
    table.stock('/gp', 'pol', newFile().header);
    await new Promise((r) => setTimeout(r, 5));
    expect(codec.serveCryptMessage(table, newHeaderMessage()).served).toBe('no');
    expect(table.pooled('/gp', 'pol')).toBe(0);
  });

  test('clear empties the pools; a pool holds at most 256', () => {
    const table = new CipherTable(8);
    const header = newFile().header;
    const results = Array.from({ length: 257 }, () => table.stock('/gp', 'pol', header));
    expect([results.filter(Boolean).length, results[256], table.pooled('/gp', 'pol')]).toEqual([256, false, 256]);
    table.clear();
    expect([table.pooled('/gp', 'pol'), codec.serveCryptMessage(table, newHeaderMessage()).served]).toEqual([0, 'no']);
  });

  test.each([
    ['a NUL in the guard point', ['/g\0p', 'pol', Buffer.alloc(4096)]],
    ['a short header', ['/gp', 'pol', Buffer.alloc(100)]],
    ['a number for the policy', ['/gp', 7, Buffer.alloc(4096)]],
  ])('stock refuses %s', (_name, args) => {
    const table = new CipherTable(1) as unknown as { stock: (...a: unknown[]) => boolean };
    expect(() => table.stock(...args)).toThrow('expected stock(guardPoint: string, policyName: string, header: 4096-byte Buffer)');
  });

  test.each([-1, 1.5, 60001, 'x'])('pool age %p is refused', (age) => {
    const make = CipherTable as unknown as new (c: number, a: unknown) => unknown;
    expect(() => new make(1, age)).toThrow('expected a pool age from 0 to 60000 ms');
  });
});

describe('headers made by the addon', () => {
  const newHeaderMessage = (guardPoint = '/gp', requestId = 81): Buffer =>
    genlMessage(FAMILY, constants.commands.CRYPT_REQ, [
      attr(A.CRYPT_REQ, codec.encodeCryptReq({ requestId, op: OP.NEW_HEADER, pid: 1, uid: 0, inode: 9n, firstUnit: 0n, length: 0, reserved: 0 })),
      attr(A.GUARD_POINT, cstr(guardPoint)), attr(A.PATH, cstr('/new.txt')), attr(A.POLICY_NAME, cstr('pol')),
    ]);
  // The FILE_HEADER attributes of a reply, in order.
  function headersOf(reply: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let off = 20; off < reply.length; off += (reply.readUInt16LE(off) + 3) & ~3) {
      if (reply.readUInt16LE(off + 2) === A.FILE_HEADER) out.push(Buffer.from(reply.subarray(off + 4, off + reply.readUInt16LE(off))));
    }
    return out;
  }
  const key = testOnlyKey('made-key', 7);

  test('the agent opens each one with the key, and the addon encrypts its units as the agent does', () => {
    const table = new CipherTable(8);
    expect(table.makeHeaders('/gp', 'pol', key.name, key.version, key.material, 5)).toBe(5);
    expect([table.madeCount, table.pooled('/gp', 'pol')]).toEqual([5, 5]);
    const headers = headersOf(codec.serveCryptMessage(table, newHeaderMessage()).reply as Buffer);
    expect(headers).toHaveLength(5);
    expect(new Set(headers.map((h) => parseHeader(h).nonce.toString('hex'))).size).toBe(5);
    const data = pattern(2 * U + 20, 31);
    for (const header of headers) {
      expect([parseHeader(header).keyName, parseHeader(header).keyVersion]).toEqual([key.name, key.version]);
      // Verifies the key check value and the MAC under the derived key.
      const cipher = fileCipherFromHeader(header, testOnlyKey('made-key', 7));
      const served = codec.serveCryptMessage(table, message('ENCRYPT', header, 3, Buffer.from(data)));
      expect(served.reply?.equals(replyWith(cipher.encryptUnits(3, data)))).toBe(true);
    }
    expect(() => fileCipherFromHeader(headers[0], { ...testOnlyKey('made-key', 7), material: Buffer.alloc(32, 9) })).toThrow('check value differs');
  });

  test('the agent\'s cache adopts one by adding it; its capacity counts only what it added', () => {
    const table = new CipherTable(2);
    table.makeHeaders('/gp', 'pol', key.name, key.version, key.material, 4);
    const [first] = headersOf(codec.serveCryptMessage(table, newHeaderMessage()).reply as Buffer);
    const adopted = fileCipherFromHeader(first, testOnlyKey('made-key', 7));
    const mirror = mirrorInto(table);
    mirror.add(first, adopted);
    expect([table.madeCount, table.size]).toEqual([3, 4]);
    const other = newFile();
    expect(table.add(other.header, Buffer.alloc(64, 1), Buffer.alloc(32, 2))).toBe(true);
    expect(table.add(newFile().header, Buffer.alloc(64, 1), Buffer.alloc(32, 2))).toBe(false);
    table.clear();
    expect([table.madeCount, table.size, table.pooled('/gp', 'pol')]).toEqual([0, 0, 0]);
  });

  test('at most 16384 kept: the oldest made entry goes first', () => {
    const table = new CipherTable(8, 60000);
    for (let i = 0; i < 64; i++) expect(table.makeHeaders(`/gp${i}`, 'pol', key.name, key.version, key.material, 256)).toBe(256);
    const oldest = headersOf(codec.serveCryptMessage(table, newHeaderMessage('/gp0')).reply as Buffer)[0];
    expect(codec.serveCryptMessage(table, message('ENCRYPT', oldest, 0, pattern(U, 1))).served).toBe('yes');
    expect(table.makeHeaders('/gp-last', 'pol', key.name, key.version, key.material, 1)).toBe(1);
    expect(table.madeCount).toBe(16384);
    expect(codec.serveCryptMessage(table, message('ENCRYPT', oldest, 0, pattern(U, 1))).served).toBe('no');
  });

  test('a made entry is not reported as touched; one that expires in the pool goes with it', async () => {
    const served = new CipherTable(8);
    served.makeHeaders('/gp', 'pol', key.name, key.version, key.material, 1);
    const [made] = headersOf(codec.serveCryptMessage(served, newHeaderMessage()).reply as Buffer);
    const other = newFile();
    mirrorInto(served).add(other.header, other.cipher);
    for (const header of [made, other.header]) {
      expect(codec.serveCryptMessage(served, message('ENCRYPT', header, 0, pattern(U, 2))).served).toBe('yes');
    }
    expect(served.takeTouched().equals(other.header.subarray(OFFSET.mac))).toBe(true);

    const table = new CipherTable(8, 0);
    table.makeHeaders('/gp', 'pol', key.name, key.version, key.material, 2);
    const adopted = newFile();
    mirrorInto(table).add(adopted.header, adopted.cipher);
    await new Promise((r) => setTimeout(r, 5));
    expect(codec.serveCryptMessage(table, newHeaderMessage()).served).toBe('no');
    expect([table.madeCount, table.size]).toEqual([0, 1]);
  });

  test('a full pool stops the batch; a name no header may hold makes none', () => {
    const table = new CipherTable(8);
    expect(table.makeHeaders('/gp', 'pol', key.name, key.version, key.material, 200)).toBe(200);
    expect(table.makeHeaders('/gp', 'pol', key.name, key.version, key.material, 100)).toBe(56);
    expect(table.madeCount).toBe(256);
    for (const name of ['clear_key', '-lead', 'a'.repeat(65), 'sp ace', '']) {
      expect(table.makeHeaders('/gp2', 'pol', name, 1, key.material, 1)).toBe(0);
    }
  });

  test.each([
    ['a short material', ['/gp', 'pol', 'k', 1, Buffer.alloc(31), 1]],
    ['a count of 0', ['/gp', 'pol', 'k', 1, Buffer.alloc(32), 0]],
    ['a count of 257', ['/gp', 'pol', 'k', 1, Buffer.alloc(32), 257]],
    ['a version of -1', ['/gp', 'pol', 'k', -1, Buffer.alloc(32), 1]],
    ['a version of 2^32', ['/gp', 'pol', 'k', 2 ** 32, Buffer.alloc(32), 1]],
    ['a number for the key name', ['/gp', 'pol', 7, 1, Buffer.alloc(32), 1]],
    ['five arguments', ['/gp', 'pol', 'k', 1, Buffer.alloc(32)]],
  ])('makeHeaders refuses %s', (_name, args) => {
    const table = new CipherTable(1) as unknown as { makeHeaders: (...a: unknown[]) => number };
    expect(() => table.makeHeaders(...args)).toThrow('expected makeHeaders(guardPoint: string, policyName: string, keyName: string');
  });
});

describe('OPEN_HEADER of a file the agent already opened', () => {
  const openMessage = (header: Buffer, length = U): Buffer => genlMessage(FAMILY, constants.commands.CRYPT_REQ, [
    attr(A.CRYPT_REQ, codec.encodeCryptReq({ requestId: 71, op: OP.OPEN_HEADER, pid: 1, uid: 0, inode: 9n, firstUnit: 0n, length, reserved: 0 })),
    attr(A.FILE_HEADER, header), attr(A.GUARD_POINT, cstr('/gp')), attr(A.PATH, cstr('/f')),
  ]);

  test('a whole header in the table is answered with success alone', () => {
    const file = newFile();
    expect(codec.serveCryptMessage(tableWith(file), openMessage(file.header))).toEqual({
      served: 'yes', requestId: 71, reply: codec.encodeCryptReplyMessage(FAMILY, { requestId: 71, status: 0, reason: constants.cryptReasons.NONE }),
    });
  });

  test.each([
    ['a header not in the table', (h: Buffer) => [new CipherTable(1), openMessage(h)] as const],
    ['a file shorter than its header (the agent says NOT_ENCRYPTED)', (h: Buffer, t: NativeCipherTable) => [t, openMessage(h, 100)] as const],
    ['a header differing in one byte', (h: Buffer, t: NativeCipherTable) => {
      const other = Buffer.from(h);
      other[OFFSET.nonce] ^= 1;
      return [t, openMessage(other)] as const;
    }],
  ])('%s goes to the agent', (_name, make) => {
    const file = newFile();
    const [table, msg] = make(file.header, tableWith(file));
    expect(codec.serveCryptMessage(table, msg)).toEqual({ served: 'no' });
  });
});

describe('headers the addon opens itself, with a key the agent allowed', () => {
  const openMessage = (header: Buffer): Buffer => genlMessage(FAMILY, constants.commands.CRYPT_REQ, [
    attr(A.CRYPT_REQ, codec.encodeCryptReq({ requestId: 72, op: OP.OPEN_HEADER, pid: 1, uid: 0, inode: 9n, firstUnit: 0n, length: U, reserved: 0 })),
    attr(A.FILE_HEADER, header), attr(A.GUARD_POINT, cstr('/gp')), attr(A.PATH, cstr('/f')),
  ]);
  let dir: { dir: string; cleanup: () => void };
  let keyPath: string;
  const stampNow = (): Buffer => keyFileStamp(lstatSync(keyPath, { bigint: true }));
  beforeEach(() => {
    dir = tempDir('tk-ring-');
    keyPath = join(dir.dir, 'k.key');
    writeFileSync(keyPath, 'stands for the key file', { mode: 0o600 });
  });
  afterEach(() => dir.cleanup());

  // A table allowed key k version 1, and a file made by the agent's own
  // code under it that the table has never seen.
  function allowed(): { table: NativeCipherTable; file: { header: Buffer; cipher: FileCipher } } {
    const table = new CipherTable(16);
    expect(table.allowKey('k', 1, testOnlyKey('k', 1).material, keyPath, stampNow())).toBe(true);
    return { table, file: newFile() };
  }

  test('a DECRYPT of an unknown header is opened and answered with FileCipher\'s bytes; the next finds it in the table', () => {
    const { table, file } = allowed();
    const plain = pattern(3 * U + 50, 41);
    const stored = file.cipher.encryptUnits(2, plain);
    const served = codec.serveCryptMessage(table, message('DECRYPT', file.header, 2, stored));
    expect(served).toEqual({ served: 'yes', requestId: 77, reply: replyWith(plain) });
    expect([table.keysAllowed, table.size, table.madeCount]).toEqual([{ keys: 1, opened: 1 }, 1, 1]);
    const enc = codec.serveCryptMessage(table, message('ENCRYPT', file.header, 2, plain));
    expect(enc.reply?.equals(replyWith(stored))).toBe(true);
    expect(table.keysAllowed.opened).toBe(1);
  });

  test('an OPEN_HEADER of an unknown header is opened and answered with success', () => {
    const { table, file } = allowed();
    expect(codec.serveCryptMessage(table, openMessage(file.header))).toEqual({
      served: 'yes', requestId: 72, reply: codec.encodeCryptReplyMessage(FAMILY, { requestId: 72, status: 0, reason: constants.cryptReasons.NONE }),
    });
    expect(table.keysAllowed.opened).toBe(1);
  });

  // Each leaves the request to the agent (which reads the store again and
  // reports), opens nothing and keeps nothing.
  test.each([
    ['the nonce changed', (h: Buffer) => { h[OFFSET.nonce] ^= 1; }],
    ['the key check value changed', (h: Buffer) => { h[OFFSET.keyCheck] ^= 1; }],
    ['the MAC changed', (h: Buffer) => { h[4095] ^= 1; }],
    ['a reserved byte set', (h: Buffer) => { h[200] = 1; }],
    ['the magic changed', (h: Buffer) => { h[0] ^= 1; }],
    ['a flag set', (h: Buffer) => { h[OFFSET.flags] = 1; }],
    ['another key version named', (h: Buffer) => { h.writeUInt32LE(2, OFFSET.keyVersion); }],
    ['another key name named', (h: Buffer) => { h[OFFSET.keyName] = 'j'.charCodeAt(0); }],
    ['a key name length of 0', (h: Buffer) => { h[OFFSET.keyNameLength] = 0; }],
    ['a key name length of 200', (h: Buffer) => { h[OFFSET.keyNameLength] = 200; }],
  ])('a header with %s is not opened', (_name, spoil) => {
    const { table, file } = allowed();
    const header = Buffer.from(file.header);
    spoil(header);
    notOpened(table, header);
  });

  // The MAC made right again after the change: the agent refuses each of
  // these for the field itself, and so must the addon.
  const remac = (h: Buffer): void => {
    const keys = deriveFileKeys(testOnlyKey('k', 1).material, h.subarray(OFFSET.nonce, OFFSET.nonce + 16));
    createHmac('sha256', keys.macKey).update(h.subarray(0, OFFSET.mac)).digest().copy(h, OFFSET.mac);
  };
  test.each([
    ['a flag set', (h: Buffer) => { h.writeUInt32LE(1, OFFSET.flags); }],
    ['format version 2', (h: Buffer) => { h.writeUInt16LE(2, OFFSET.version); }],
    ['algorithm 2', (h: Buffer) => { h.writeUInt16LE(2, OFFSET.algorithm); }],
    ['a data unit size of 8192', (h: Buffer) => { h.writeUInt32LE(8192, OFFSET.dataUnitSize); }],
    ['a byte set after the key name', (h: Buffer) => { h[OFFSET.keyName + 1] = 1; }],
    ['a byte set among the fields\' reserved bytes', (h: Buffer) => { h[29] = 1; }],
    ['the key check value changed', (h: Buffer) => { h[OFFSET.keyCheck] ^= 1; }],
  ])('a header with %s and a MAC made right again is not opened (the agent refuses it too)', (_name, spoil) => {
    const { table, file } = allowed();
    const header = Buffer.from(file.header);
    spoil(header);
    remac(header);
    expect(() => fileCipherFromHeader(header, testOnlyKey('k', 1))).toThrow();
    notOpened(table, header);
  });

  test('the same, unchanged but MACed again, is opened (the check above is not of the MAC alone)', () => {
    const { table, file } = allowed();
    const header = Buffer.from(file.header);
    remac(header);
    expect(header.equals(file.header)).toBe(true);
    expect(codec.serveCryptMessage(table, openMessage(header)).served).toBe('yes');
  });

  function notOpened(table: NativeCipherTable, header: Buffer): void {
    const data = pattern(U, 42);
    expect(codec.serveCryptMessage(table, message('DECRYPT', header, 0, data))).toEqual({ served: 'no' });
    expect(codec.serveCryptMessage(table, openMessage(header))).toEqual({ served: 'no' });
    expect([table.keysAllowed.opened, table.size]).toEqual([0, 0]);
  }

  test.each([
    ['touched (new times, same inode and size)', () => utimesSync(keyPath, new Date(), new Date(Date.now() + 5000))],
    ['given another mode (0400)', () => chmodSync(keyPath, 0o400)],
    ['removed', () => unlinkSync(keyPath)],
    ['replaced by another file (rename over it)', () => {
      writeFileSync(`${keyPath}.new`, 'stands for the key file', { mode: 0o600 });
      renameSync(`${keyPath}.new`, keyPath);
    }],
    ['replaced by a symbolic link to itself', () => {
      renameSync(keyPath, `${keyPath}.real`);
      symlinkSync(`${keyPath}.real`, keyPath);
    }],
  ])('after the key file is %s, nothing more is opened (the key is dropped) until the agent allows the key again', (_name, change) => {
    const { table, file } = allowed();
    const first = newFile();
    expect(codec.serveCryptMessage(table, openMessage(first.header)).served).toBe('yes');
    change();
    expect(codec.serveCryptMessage(table, openMessage(file.header))).toEqual({ served: 'no' });
    expect(table.keysAllowed).toEqual({ keys: 0, opened: 1 });
    // A file opened before stays open (as the agent's own cache keeps it).
    expect(codec.serveCryptMessage(table, openMessage(first.header)).served).toBe('yes');
  });

  test('allowed again with the file\'s new stamp, it opens again', () => {
    const { table, file } = allowed();
    utimesSync(keyPath, new Date(), new Date(Date.now() + 5000));
    expect(codec.serveCryptMessage(table, openMessage(file.header)).served).toBe('no');
    expect(table.allowKey('k', 1, testOnlyKey('k', 1).material, keyPath, stampNow())).toBe(true);
    expect(codec.serveCryptMessage(table, openMessage(file.header)).served).toBe('yes');
    expect(table.keysAllowed).toEqual({ keys: 1, opened: 1 });
  });

  test('material that is not the key\'s opens nothing (the header\'s MAC does not match)', () => {
    const table = new CipherTable(16);
    const wrong = testOnlyKey('k', 1).material;
    wrong[0] ^= 1;
    expect(table.allowKey('k', 1, wrong, keyPath, stampNow())).toBe(true);
    expect(codec.serveCryptMessage(table, openMessage(newFile().header))).toEqual({ served: 'no' });
    expect(table.keysAllowed.opened).toBe(0);
  });

  test('clear() forgets the allowed keys with the files; the count of headers opened runs on', () => {
    const { table, file } = allowed();
    const first = newFile();
    expect(codec.serveCryptMessage(table, openMessage(first.header)).served).toBe('yes');
    table.clear();
    expect([table.keysAllowed, table.size]).toEqual([{ keys: 0, opened: 1 }, 0]);
    expect(codec.serveCryptMessage(table, openMessage(file.header))).toEqual({ served: 'no' });
    expect(codec.serveCryptMessage(table, openMessage(first.header))).toEqual({ served: 'no' });
  });

  test('the agent adding a header the addon opened takes it over, and the same keys serve it', () => {
    const { table, file } = allowed();
    expect(codec.serveCryptMessage(table, openMessage(file.header)).served).toBe('yes');
    expect(table.madeCount).toBe(1);
    mirrorInto(table).add(file.header, fileCipherFromHeader(file.header, testOnlyKey('k', 1)));
    expect([table.size, table.madeCount]).toEqual([1, 0]);
    const plain = pattern(U, 43);
    expect(codec.serveCryptMessage(table, message('DECRYPT', file.header, 0, file.cipher.encryptUnits(0, plain))).reply?.equals(replyWith(plain))).toBe(true);
    expect(table.keysAllowed.opened).toBe(1);
  });

  test('at most 4096 key versions are allowed; one already allowed is still replaced', () => {
    const table = new CipherTable(1);
    const material = testOnlyKey('k', 1).material;
    const stamp = stampNow();
    for (let v = 0; v < 4096; v++) expect(table.allowKey('k', v, material, keyPath, stamp)).toBe(true);
    expect(table.allowKey('k', 4096, material, keyPath, stamp)).toBe(false);
    expect(table.allowKey('k', 17, material, keyPath, stamp)).toBe(true);
    expect(table.keysAllowed.keys).toBe(4096);
  });

  test('a key name no header may hold is not kept', () => {
    const table = new CipherTable(1);
    expect(table.allowKey('clear_key', 1, Buffer.alloc(32), keyPath, stampNow())).toBe(false);
    expect(table.allowKey('-bad', 1, Buffer.alloc(32), keyPath, stampNow())).toBe(false);
    expect(table.keysAllowed.keys).toBe(0);
  });

  test.each([
    ['material of 31 bytes', ['k', 1, Buffer.alloc(31), '/k.key', Buffer.alloc(56)]],
    ['a stamp of 55 bytes', ['k', 1, Buffer.alloc(32), '/k.key', Buffer.alloc(55)]],
    ['a relative path', ['k', 1, Buffer.alloc(32), 'k.key', Buffer.alloc(56)]],
    ['an empty path', ['k', 1, Buffer.alloc(32), '', Buffer.alloc(56)]],
    ['a path with a NUL', ['k', 1, Buffer.alloc(32), '/k\0.key', Buffer.alloc(56)]],
    ['a version of -1', ['k', -1, Buffer.alloc(32), '/k.key', Buffer.alloc(56)]],
    ['a version of 1.5', ['k', 1.5, Buffer.alloc(32), '/k.key', Buffer.alloc(56)]],
    ['a string for the material', ['k', 1, 'x'.repeat(32), '/k.key', Buffer.alloc(56)]],
    ['four arguments', ['k', 1, Buffer.alloc(32), '/k.key']],
  ])('allowKey refuses %s', (_name, args) => {
    const table = new CipherTable(1) as unknown as { allowKey: (...a: unknown[]) => boolean };
    expect(() => table.allowKey(...args)).toThrow('expected allowKey(keyName: string, keyVersion: integer 0..4294967295, material: 32-byte Buffer, path: absolute path, stamp: 56-byte Buffer)');
  });
});

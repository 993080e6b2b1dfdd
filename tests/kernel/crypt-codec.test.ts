import { loadAddon, type NativeCryptReq } from '../../src/kernel/native';
import { camel, headerDefine, headerEnum, headerStruct } from './header';
import { attr, cstr, genlMessage } from './netlink-bytes';

const { codec, constants } = loadAddon();
const A = constants.attributes;
const OP = constants.cryptOps;
const U = 4096;

describe('crypt structs and constants follow takakrypt.h', () => {
  const sample: NativeCryptReq = {
    requestId: 0xfffffffe, op: 3, pid: 4321, uid: 1000, inode: 0xfedcba9876543210n,
    firstUnit: 0x0102030405060708n, length: 122880, reserved: 0,
  };

  test('takakrypt_crypt_req: every field at its header offset, and back', () => {
    const bytes = codec.encodeCryptReq(sample);
    const fields = headerStruct('takakrypt_crypt_req');
    expect(bytes.length).toBe(fields.reduce((n, f) => n + f.size, 0));
    for (const f of fields) {
      const read = f.size === 8 ? bytes.readBigUInt64LE(f.offset) : bytes.readUInt32LE(f.offset);
      expect([f.name, read]).toEqual([f.name, (sample as unknown as Record<string, number | bigint>)[camel(f.name)]]);
    }
    expect(codec.decodeCryptReq(bytes)).toEqual(sample);
  });

  test('takakrypt_crypt_reply: every field at its header offset', () => {
    const msg = codec.encodeCryptReplyMessage(0x21, { requestId: 9, status: -5, reason: 3, data: Buffer.alloc(5000) });
    // nlmsghdr 16 + genlmsghdr 4 + attribute header 4.
    const fixed = msg.subarray(24, 24 + constants.sizes.cryptReply);
    const fields = headerStruct('takakrypt_crypt_reply');
    const expected: Record<string, number> = { request_id: 9, status: -5, reason: 3, length: 5000 };
    for (const f of fields) {
      const read = f.name === 'status' ? fixed.readInt32LE(f.offset) : fixed.readUInt32LE(f.offset);
      expect([f.name, read]).toEqual([f.name, expected[f.name]]);
    }
    expect(codec.decodeCryptReply(fixed)).toEqual({ requestId: 9, status: -5, reason: 3, length: 5000 });
  });

  test.each([
    ['cryptReq', 'takakrypt_crypt_req'],
    ['cryptReply', 'takakrypt_crypt_reply'],
  ] as const)('constants.sizes.%s matches struct %s', (key, name) => {
    expect(constants.sizes[key]).toBe(headerStruct(name).reduce((n, f) => n + f.size, 0));
  });

  test.each(Object.entries(constants.cryptOps))('crypt op %s = %i', (name, value) => {
    expect(headerEnum('takakrypt_crypt_op').get(`TAKAKRYPT_CRYPT_${name}`)).toBe(value);
  });

  test.each(Object.entries(constants.cryptReasons))('crypt reason %s = %i', (name, value) => {
    expect(headerEnum('takakrypt_crypt_reason').get(`TAKAKRYPT_CRYPT_R_${name}`)).toBe(value);
  });

  test('every op and reason of the header is exported', () => {
    expect(Object.keys(constants.cryptOps)).toHaveLength(headerEnum('takakrypt_crypt_op').size);
    expect(Object.keys(constants.cryptReasons)).toHaveLength(headerEnum('takakrypt_crypt_reason').size);
  });

  test.each([
    ['dataUnitSize', 'TAKAKRYPT_DATA_UNIT_SIZE'],
    ['fileHeaderSize', 'TAKAKRYPT_FILE_HEADER_SIZE'],
    ['maxRunUnits', 'TAKAKRYPT_MAX_RUN_UNITS'],
  ] as const)('%s = %s', (key, define) => {
    expect(constants[key]).toBe(headerDefine(define));
  });
});

const fixed: NativeCryptReq = {
  requestId: 41, op: OP.ENCRYPT, pid: 300, uid: 1000, inode: 123456789012345n, firstUnit: 7n, length: 2 * U + 10, reserved: 0,
};
const header = Buffer.alloc(U, 0x48);
const unitsOf = (data: Buffer): Buffer[] => {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += U) out.push(attr(A.DATA, data.subarray(off, off + U)));
  return out;
};
const payload = Buffer.from(Array.from({ length: 2 * U + 10 }, (_, i) => i % 251));
const msg = (attrs: Buffer[]): Buffer => genlMessage(0x21, constants.commands.CRYPT_REQ, attrs);
const request = (over: Partial<NativeCryptReq> = {}, extra: Buffer[] = [], data = payload): Buffer => msg([
  attr(A.CRYPT_REQ, codec.encodeCryptReq({ ...fixed, ...over })),
  attr(A.FILE_HEADER, header),
  attr(A.GUARD_POINT, cstr('/data/gp')),
  attr(A.PATH, cstr('/dir/file')),
  ...unitsOf(data),
  ...extra,
]);

describe('decodeCryptRequestMessage', () => {
  test('an ENCRYPT request: fields, header, and its units joined in order', () => {
    const decoded = codec.decodeCryptRequestMessage(request());
    expect(decoded).toEqual({
      requestId: 41, op: 3, pid: 300, uid: 1000, inode: 123456789012345n, firstUnit: 7, length: 2 * U + 10,
      header, data: payload, guardPoint: '/data/gp', path: '/dir/file', policyName: '',
    });
  });

  test.each([
    ['NEW_HEADER', [attr(A.GUARD_POINT, cstr('/gp')), attr(A.PATH, cstr('/n')), attr(A.POLICY_NAME, cstr('pol'))]],
    ['OPEN_HEADER', [attr(A.FILE_HEADER, header), attr(A.GUARD_POINT, cstr('/gp')), attr(A.PATH, cstr('/n'))]],
  ] as const)('%s carries no data', (op, attrs) => {
    const length = op === 'OPEN_HEADER' ? 100 : 0;
    const bytes = msg([attr(A.CRYPT_REQ, codec.encodeCryptReq({ ...fixed, op: OP[op], firstUnit: 0n, length })), ...attrs]);
    const decoded = codec.decodeCryptRequestMessage(bytes);
    expect(decoded.data).toBeUndefined();
    expect([decoded.op, decoded.length, decoded.path]).toEqual([OP[op], length, '/n']);
  });

  test('30 whole units and an absent path (writeback)', () => {
    const data = Buffer.alloc(30 * U, 7);
    const bytes = msg([
      attr(A.CRYPT_REQ, codec.encodeCryptReq({ ...fixed, op: OP.DECRYPT, length: data.length })),
      attr(A.FILE_HEADER, header), attr(A.GUARD_POINT, cstr('/gp')), ...unitsOf(data),
    ]);
    const decoded = codec.decodeCryptRequestMessage(bytes);
    expect([decoded.data?.equals(data), decoded.path]).toEqual([true, '']);
  });

  const gp = attr(A.GUARD_POINT, cstr('/gp'));
  const path = attr(A.PATH, cstr('/f'));
  const hdr = attr(A.FILE_HEADER, header);
  const fixedOf = (over: Partial<NativeCryptReq>) => attr(A.CRYPT_REQ, codec.encodeCryptReq({ ...fixed, ...over }));
  const newHeader = { op: OP.NEW_HEADER, firstUnit: 0n, length: 0 };
  test.each([
    ['no fixed part', msg([hdr, gp, path]), 'crypt request attribute is missing', undefined],
    ['short fixed part', msg([attr(A.CRYPT_REQ, Buffer.alloc(36)), hdr, gp]), 'crypt request attribute has 36 bytes, expected 40', undefined],
    ['request id 0', request({ requestId: 0 }), 'request id is 0', undefined],
    ['unknown op', request({ op: 5 }), 'op 5 is unknown', 41],
    ['reserved set', request({ reserved: 1 }), 'reserved is 1, expected 0', 41],
    ['first unit in NEW_HEADER', msg([fixedOf({ ...newHeader, firstUnit: 3n }), gp, path]), 'first unit is 3, expected 0 for NEW_HEADER', 41],
    ['length in NEW_HEADER', msg([fixedOf({ ...newHeader, length: 5 }), gp, path]), 'length is 5, expected 0 for NEW_HEADER', 41],
    ['long OPEN_HEADER', msg([fixedOf({ op: OP.OPEN_HEADER, firstUnit: 0n, length: 4097 }), hdr, gp, path]), 'length is 4097, expected at most 4096 for OPEN_HEADER', 41],
    ['empty ENCRYPT', request({ length: 0 }, [], Buffer.alloc(0)), 'length is 0, expected 1 to 122880 for ENCRYPT', 41],
    ['long DECRYPT', request({ op: OP.DECRYPT, length: 122881 }), 'length is 122881, expected 1 to 122880 for DECRYPT', 41],
    ['first unit beyond 2^53', request({ firstUnit: 2n ** 53n }), 'first unit 9007199254740992 is beyond 2^53 - 1', 41],
    ['no header in DECRYPT', msg([fixedOf({ op: OP.DECRYPT }), gp, ...unitsOf(payload)]), 'file header attribute is missing', 41],
    ['short header', msg([fixedOf({}), attr(A.FILE_HEADER, Buffer.alloc(4095)), gp, ...unitsOf(payload)]), 'file header attribute has 4095 bytes, expected 4096', 41],
    ['no guard point', msg([fixedOf({}), hdr, ...unitsOf(payload)]), 'guard point attribute is missing', 41],
    ['no path in OPEN_HEADER', msg([fixedOf({ op: OP.OPEN_HEADER, firstUnit: 0n, length: 4096 }), hdr, gp]), 'path attribute is missing', 41],
    ['no policy name in NEW_HEADER', msg([fixedOf(newHeader), gp, path]), 'policy name attribute is missing', 41],
    ['data in OPEN_HEADER', msg([fixedOf({ op: OP.OPEN_HEADER, firstUnit: 0n, length: 4096 }), hdr, gp, path, attr(A.DATA, Buffer.alloc(4))]), 'data attribute is not expected for OPEN_HEADER', 41],
    ['31 units', request({ length: 30 * U }, [], Buffer.alloc(31 * U)), 'more than 30 data units', 41],
    ['fewer units than the length needs', request({ length: 4 * U }), 'length 16384 needs 4 data units, got 3', 41],
    ['a whole last unit shorter than the length says', request({ length: 3 * U }), 'data unit 2 has 10 bytes, expected 4096', 41],
    ['a short unit before the last', msg([fixedOf({ length: U + 10 }), hdr, gp, attr(A.DATA, Buffer.alloc(10)), attr(A.DATA, Buffer.alloc(U))]), 'data unit 0 has 10 bytes, expected 4096', 41],
    ['last unit longer than the length says', request({ length: 2 * U + 9 }), 'data unit 2 has 10 bytes, expected 9', 41],
    ['more units than the length needs', request({ length: U }), 'length 4096 needs 1 data units, got 3', 41],
    ['guard point without NUL', msg([fixedOf({}), hdr, attr(A.GUARD_POINT, Buffer.from('/gp')), ...unitsOf(payload)]), 'guard point attribute is not a NUL-terminated string', 41],
    ['another command', genlMessage(0x21, constants.commands.POLICY_REQ, []), 'command 4 is not CRYPT_REQ', undefined],
  ])('%s', (_name, bytes, why, requestId) => {
    let caught: (Error & { code?: string; requestId?: number }) | undefined;
    try {
      codec.decodeCryptRequestMessage(bytes);
    } catch (err) {
      caught = err as Error & { code?: string; requestId?: number };
    }
    expect([caught?.message, caught?.code, caught?.requestId]).toEqual([`malformed crypt request: ${why}`, 'EBADMSG', requestId]);
  });
});

describe('encodeCryptReplyMessage', () => {
  const parse = (bytes: Buffer): Array<[number, Buffer]> => {
    const out: Array<[number, Buffer]> = [];
    for (let off = 20; off < bytes.length;) {
      const len = bytes.readUInt16LE(off);
      out.push([bytes.readUInt16LE(off + 2), bytes.subarray(off + 4, off + len)]);
      off += (len + 3) & ~3;
    }
    return out;
  };

  test('data is split into units of 4096, the last shorter, after the fixed part', () => {
    const data = Buffer.from(Array.from({ length: 2 * U + 3 }, (_, i) => i % 253));
    const bytes = codec.encodeCryptReplyMessage(0x21, { requestId: 1, status: 0, reason: 0, data });
    expect(bytes.readUInt32LE(0)).toBe(bytes.length);
    expect([bytes.readUInt16LE(4), bytes.readUInt8(16)]).toEqual([0x21, constants.commands.CRYPT_REPLY]);
    const attrs = parse(bytes);
    expect(attrs.map(([type, p]) => [type, p.length])).toEqual([
      [A.CRYPT_REPLY, 16], [A.DATA, U], [A.DATA, U], [A.DATA, 3],
    ]);
    expect(Buffer.concat(attrs.slice(1).map(([, p]) => p)).equals(data)).toBe(true);
  });

  test('a header goes out as one FILE_HEADER attribute', () => {
    const bytes = codec.encodeCryptReplyMessage(0x21, { requestId: 2, status: 0, reason: 0, header });
    const attrs = parse(bytes);
    expect(attrs.map(([type, p]) => [type, p.length])).toEqual([[A.CRYPT_REPLY, 16], [A.FILE_HEADER, U]]);
    expect(codec.decodeCryptReply(attrs[0][1])).toEqual({ requestId: 2, status: 0, reason: 0, length: 0 });
  });

  test.each([
    [{ requestId: 1, status: 0, reason: 0, header: Buffer.alloc(10) }, 'expected `header` to be a Buffer of 4096 to 4096 bytes'],
    [{ requestId: 1, status: 0, reason: 0, data: Buffer.alloc(30 * U + 1) }, 'expected `data` to be a Buffer of 1 to 122880 bytes'],
    [{ requestId: 1, status: 0, reason: 0, data: Buffer.alloc(0) }, 'expected `data` to be a Buffer of 1 to 122880 bytes'],
    [{ requestId: 1, status: 2 ** 31, reason: 0 }, 'expected `status` to be a 32-bit signed integer'],
    [{ requestId: 1, status: 0 }, 'expected `reason` to be a 32-bit unsigned integer'],
  ])('native re-check %#', (reply, message) => {
    expect(() => codec.encodeCryptReplyMessage(0x21, reply as never)).toThrow(new TypeError(message));
  });
});

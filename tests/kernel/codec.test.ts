import { loadAddon, type NativePolicyReq } from '../../src/kernel/native';
import { camel, headerDefine, headerEnum, headerStruct } from './header';
import { attr, cstr, genlMessage, u32s } from './netlink-bytes';

const addon = loadAddon();
const { codec, constants } = addon;

// Each struct with an encoder/decoder pair, a sample with a distinct
// value per field, and how to read a field back from the bytes.
const structs = [
  ['takakrypt_register', codec.encodeRegister, codec.decodeRegister, {
    protocolVersion: 1, agentPid: 0x01020304, flags: 0x05060708, reserved: 0x090a0b0c,
  }],
  ['takakrypt_generation', codec.encodeGeneration, codec.decodeGeneration, {
    generation: 0x1122334455667788n, maxCacheTtlMs: 3600000, reserved: 7,
  }],
  ['takakrypt_policy_req', codec.encodePolicyReq, codec.decodePolicyReq, {
    requestId: 0xfffffffe, pid: 4321, uid: 1000, gid: 100, action: 19, flags: 1, ngroups: 3,
    reserved: 0, inode: 0xfedcba9876543210n, generation: 42n,
  }],
  ['takakrypt_policy_reply', codec.encodePolicyReply, codec.decodePolicyReply, {
    requestId: 9, verdict: 1, flags: 3, cacheTtlMs: 1500,
  }],
] as const;

describe('struct layouts follow takakrypt.h', () => {
  test.each(structs)('%s: every field at its header offset', (name, encode, _decode, sample) => {
    const bytes = (encode as (v: object) => Buffer)(sample);
    const fields = headerStruct(name);
    expect(bytes.length).toBe(fields.reduce((n, f) => n + f.size, 0));
    for (const f of fields) {
      const value = (sample as Record<string, number | bigint>)[camel(f.name)];
      const read = f.size === 8 ? bytes.readBigUInt64LE(f.offset) : bytes.readUInt32LE(f.offset);
      expect([f.name, read]).toEqual([f.name, value]);
    }
  });

  test.each(structs)('%s: decode(encode(x)) is x', (_name, encode, decode, sample) => {
    const bytes = (encode as (v: object) => Buffer)(sample);
    expect((decode as (b: Buffer) => object)(bytes)).toEqual(sample);
  });

  test.each([
    ['register', 'takakrypt_register'],
    ['generation', 'takakrypt_generation'],
    ['policyReq', 'takakrypt_policy_req'],
    ['policyReply', 'takakrypt_policy_reply'],
  ] as const)('constants.sizes.%s matches struct %s', (key, name) => {
    expect(constants.sizes[key]).toBe(headerStruct(name).reduce((n, f) => n + f.size, 0));
  });
});

describe('constants follow takakrypt.h', () => {
  const cmds = headerEnum('takakrypt_cmd');
  const attrs = headerEnum('takakrypt_attr');
  test.each(Object.entries(constants.commands))('command %s = %i', (name, value) => {
    expect(cmds.get(`TAKAKRYPT_CMD_${name}`)).toBe(value);
  });
  test.each(Object.entries(constants.attributes))('attribute %s = %i', (name, value) => {
    expect(attrs.get(`TAKAKRYPT_A_${name}`)).toBe(value);
  });
  test.each([
    ['protocolVersion', 'TAKAKRYPT_PROTOCOL_VERSION'],
    ['genlVersion', 'TAKAKRYPT_GENL_VERSION'],
    ['maxGroups', 'TAKAKRYPT_MAX_GROUPS'],
    ['maxCacheTtlMs', 'TAKAKRYPT_MAX_CACHE_TTL_MS'],
    ['pathMax', 'TAKAKRYPT_PATH_MAX'],
  ] as const)('%s = %s', (key, define) => {
    expect(constants[key]).toBe(headerDefine(define));
  });
  test('flags and verdicts', () => {
    expect(constants.requestFlags.DIR).toBe(headerDefine('TAKAKRYPT_REQ_F_DIR'));
    expect(constants.replyFlags).toEqual({
      APPLYKEY: headerDefine('TAKAKRYPT_REPLY_F_APPLYKEY'),
      AUDIT: headerDefine('TAKAKRYPT_REPLY_F_AUDIT'),
      ANY_OBJECT: headerDefine('TAKAKRYPT_REPLY_F_ANY_OBJECT'),
    });
    const verdicts = headerEnum('takakrypt_verdict');
    expect(constants.verdicts).toEqual({
      DENY: verdicts.get('TAKAKRYPT_VERDICT_DENY'),
      PERMIT: verdicts.get('TAKAKRYPT_VERDICT_PERMIT'),
    });
  });
});

describe('native re-checks throw TypeError', () => {
  const reply = { requestId: 1, verdict: 0, flags: 0, cacheTtlMs: 0 };
  test.each([
    [{ ...reply, requestId: -1 }, 'expected `requestId` to be a 32-bit unsigned integer'],
    [{ ...reply, verdict: 2 ** 32 }, 'expected `verdict` to be a 32-bit unsigned integer'],
    [{ ...reply, flags: 1.5 }, 'expected `flags` to be a 32-bit unsigned integer'],
    [{ ...reply, cacheTtlMs: '5' }, 'expected `cacheTtlMs` to be a 32-bit unsigned integer'],
    [{ requestId: 1 }, 'expected `verdict` to be a 32-bit unsigned integer'],
  ])('encodePolicyReply(%p)', (value, message) => {
    expect(() => codec.encodePolicyReply(value as never)).toThrow(new TypeError(message));
  });

  test.each([
    [-1n, 'expected `generation` to be a 64-bit unsigned integer'],
    [2n ** 64n, 'expected `generation` to be a 64-bit unsigned integer'],
    [2 ** 53, 'expected `generation` to be a 64-bit unsigned integer'],
  ])('encodeGeneration with generation %p', (generation, message) => {
    expect(() => codec.encodeGeneration({ generation, maxCacheTtlMs: 0, reserved: 0 } as never)).toThrow(
      new TypeError(message),
    );
  });

  test.each([
    [Buffer.alloc(15), 'expected a 16-byte Buffer, got 15 bytes'],
    ['x', 'expected a Buffer'],
  ])('decodeRegister(%p)', (input, message) => {
    expect(() => codec.decodeRegister(input as Buffer)).toThrow(new TypeError(message));
  });
});

const A = constants.attributes;
const fixed: NativePolicyReq = {
  requestId: 77, pid: 1234, uid: 1000, gid: 1000, action: 1, flags: 1, ngroups: 2,
  reserved: 0, inode: 123456789012345n, generation: 5n,
};
const good = (over: Partial<NativePolicyReq> = {}, extra: Buffer[] = []): Buffer =>
  genlMessage(0x20, constants.commands.POLICY_REQ, [
    attr(A.POLICY_REQ, codec.encodePolicyReq({ ...fixed, ...over })),
    attr(A.GROUPS, u32s([1000, 27])),
    attr(A.EXE_PATH, cstr('/usr/bin/cat')),
    attr(A.GUARD_POINT, cstr('/data/gp')),
    attr(A.PATH, cstr('/dir/file')),
    attr(A.POLICY_NAME, cstr('db_policy')),
    ...extra,
  ]);

describe('decodeRequestMessage', () => {
  test('decodes every field', () => {
    expect(codec.decodeRequestMessage(good())).toEqual({
      requestId: 77, pid: 1234, uid: 1000, gid: 1000, action: 1, flags: 1,
      inode: 123456789012345n, generation: 5n, groups: [1000, 27],
      exe: '/usr/bin/cat', guardPoint: '/data/gp', path: '/dir/file', policyName: 'db_policy',
    });
  });

  test('ignores attributes it does not know', () => {
    expect(codec.decodeRequestMessage(good({}, [attr(200, Buffer.from('x'))])).requestId).toBe(77);
  });

  const msg = (attrs: Buffer[]): Buffer => genlMessage(0x20, constants.commands.POLICY_REQ, attrs);
  const req = attr(A.POLICY_REQ, codec.encodePolicyReq({ ...fixed, ngroups: 0 }));
  const gp = attr(A.GUARD_POINT, cstr('/gp'));
  const path = attr(A.PATH, cstr('/f'));
  test.each([
    ['no fixed part', msg([gp, path]), 'policy request attribute is missing'],
    ['short fixed part', msg([attr(A.POLICY_REQ, Buffer.alloc(44)), gp, path]), 'policy request attribute has 44 bytes, expected 48'],
    ['request id 0', good({ requestId: 0 }), 'request id is 0'],
    ['unknown action', good({ action: 20 }), 'action 20 is unknown'],
    ['unknown request flag', good({ flags: 2 }), 'flags 2 has unknown bits'],
    ['too many groups', good({ ngroups: 4097 }), 'ngroups 4097 exceeds the limit'],
    ['group count mismatch', good({ ngroups: 3 }), 'ngroups is 3 but 2 groups came'],
    ['odd groups length', msg([req, attr(A.GROUPS, Buffer.alloc(5)), gp, path]), 'groups attribute length 5 is not a multiple of 4'],
    ['path without NUL', msg([req, gp, attr(A.PATH, Buffer.from('/f'))]), 'path attribute is not a NUL-terminated string'],
    ['NUL inside guard point', msg([req, attr(A.GUARD_POINT, Buffer.from('/a\0b\0')), path]), 'guard point attribute is not a NUL-terminated string'],
    ['no guard point', msg([req, path]), 'guard point attribute is missing'],
    ['no path', msg([req, gp]), 'path attribute is missing'],
    ['attribute overruns', Buffer.concat([msg([req]).subarray(0, 20), Buffer.from([0xff, 0, 3, 0])]), 'message length does not match its header'],
    ['another command', genlMessage(0x20, constants.commands.POLICY_REPLY, [req]), 'command 5 is not POLICY_REQ'],
  ])('%s', (_name, bytes, why) => {
    let caught: (Error & { code?: string }) | undefined;
    try {
      codec.decodeRequestMessage(bytes);
    } catch (err) {
      caught = err as Error & { code?: string };
    }
    expect(caught?.message).toBe(`malformed policy request: ${why}`);
    expect(caught?.code).toBe('EBADMSG');
  });

  test('an attribute longer than the message is malformed', () => {
    const bytes = msg([req, gp, path]);
    bytes.writeUInt16LE(200, 20);
    expect(() => codec.decodeRequestMessage(bytes)).toThrow('malformed policy request: attributes are malformed');
  });
});

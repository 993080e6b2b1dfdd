// Builds raw generic netlink messages byte by byte, independently of the
// addon, so that its decoder can be tested against hand-made input.
const align4 = (n: number): number => (n + 3) & ~3;

/** One attribute: 4-byte header (length, type), payload, padding. */
export function attr(type: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(align4(4 + payload.length));
  out.writeUInt16LE(4 + payload.length, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

/** A NUL-terminated string payload. */
export function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
}

/** __u32 array payload. */
export function u32s(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32LE(v, i * 4));
  return out;
}

/** nlmsghdr (16 bytes) + genlmsghdr (4 bytes) + attributes. */
export function genlMessage(familyId: number, cmd: number, attrs: Buffer[]): Buffer {
  const body = Buffer.concat(attrs);
  const out = Buffer.alloc(20 + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(familyId, 4);
  out.writeUInt16LE(0, 6);
  out.writeUInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt8(cmd, 16);
  out.writeUInt8(1, 17);
  body.copy(out, 20);
  return out;
}

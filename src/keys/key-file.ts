// Binary layout of one key file (NAME.key): every version of one named key.
// Binary rather than JSON so that material only ever lives in Buffers that
// can be zeroed, never in immutable strings. docs/KEYS.md has the layout.
import { createHash } from 'crypto';
import { createError } from '../errors';

export const KEY_FILE_MAGIC = Buffer.from('TKKEYST1', 'latin1');
export const KEY_FILE_FORMAT = 1;
export const HEADER_SIZE = 128;
export const ENTRY_SIZE = 80;
const CHECKSUM_SIZE = 32;
export const FLAG_WRAPPED = 1;
export const MATERIAL_SIZE = 32;

/** Parameters of the scrypt passphrase wrapping; all zero when not wrapped. */
export interface WrapParams {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
}

/** One version; `sealed` is the material itself, or its AES-256-GCM ciphertext when wrapped. */
export interface KeyEntry {
  version: number;
  createdMs: number;
  iv: Buffer;
  sealed: Buffer;
  tag: Buffer;
}

export interface KeyFile {
  name: string;
  wrap: WrapParams | null;
  entries: KeyEntry[];
}

/** Serialise a key file; the result holds material: zero it after writing. */
export function encodeKeyFile(file: KeyFile): Buffer {
  const size = HEADER_SIZE + file.entries.length * ENTRY_SIZE + CHECKSUM_SIZE;
  const out = Buffer.alloc(size);
  KEY_FILE_MAGIC.copy(out, 0);
  out.writeUInt16LE(KEY_FILE_FORMAT, 8);
  out.writeUInt16LE(file.wrap ? FLAG_WRAPPED : 0, 10);
  out.writeUInt32LE(file.entries.length, 12);
  if (file.wrap) {
    out.writeUInt8(file.wrap.log2N, 16);
    out.writeUInt8(file.wrap.r, 17);
    out.writeUInt8(file.wrap.p, 18);
    file.wrap.salt.copy(out, 24);
  }
  const name = Buffer.from(file.name, 'latin1');
  out.writeUInt8(name.length, 40);
  name.copy(out, 41);
  file.entries.forEach((entry, i) => {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    out.writeUInt32LE(entry.version, at);
    out.writeBigUInt64LE(BigInt(entry.createdMs), at + 8);
    entry.iv.copy(out, at + 16);
    entry.sealed.copy(out, at + 28);
    entry.tag.copy(out, at + 60);
  });
  createHash('sha256').update(out.subarray(0, size - CHECKSUM_SIZE)).digest().copy(out, size - CHECKSUM_SIZE);
  return out;
}

function corrupt(path: string, expected: string, found: string): Error {
  return createError('KEYS_FILE_CORRUPT', `key file ${path}: expected ${expected}, got ${found}`, { path });
}

/** Parse a key file; entries' `sealed` buffers are views into `data` (zero `data` when done). */
export function decodeKeyFile(data: Buffer, path: string): KeyFile {
  if (data.length < HEADER_SIZE + CHECKSUM_SIZE) throw corrupt(path, `at least ${HEADER_SIZE + CHECKSUM_SIZE} bytes`, `${data.length}`);
  if (!data.subarray(0, 8).equals(KEY_FILE_MAGIC)) throw corrupt(path, 'magic TKKEYST1', 'other bytes');
  const format = data.readUInt16LE(8);
  if (format !== KEY_FILE_FORMAT) throw corrupt(path, `format ${KEY_FILE_FORMAT}`, `format ${format}`);
  const count = data.readUInt32LE(12);
  const size = HEADER_SIZE + count * ENTRY_SIZE + CHECKSUM_SIZE;
  if (data.length !== size) throw corrupt(path, `${size} bytes for ${count} versions`, `${data.length} bytes`);
  const sum = createHash('sha256').update(data.subarray(0, size - CHECKSUM_SIZE)).digest();
  if (!sum.equals(data.subarray(size - CHECKSUM_SIZE))) throw corrupt(path, 'a matching SHA-256 checksum', 'a mismatch');
  const wrapped = (data.readUInt16LE(10) & FLAG_WRAPPED) !== 0;
  const wrap = wrapped
    ? { log2N: data.readUInt8(16), r: data.readUInt8(17), p: data.readUInt8(18), salt: Buffer.from(data.subarray(24, 40)) }
    : null;
  const name = data.subarray(41, 41 + data.readUInt8(40)).toString('latin1');
  const entries: KeyEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    entries.push({
      version: data.readUInt32LE(at),
      createdMs: Number(data.readBigUInt64LE(at + 8)),
      iv: data.subarray(at + 16, at + 28),
      sealed: data.subarray(at + 28, at + 60),
      tag: data.subarray(at + 60, at + 76),
    });
  }
  return { name, wrap, entries };
}

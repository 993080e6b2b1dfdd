// The 4096-byte header of format v1: detection, parsing, encoding and the
// authenticator check. Layout and rules: docs/FORMAT.md.
import { timingSafeEqual } from 'node:crypto';
import { createError } from '../errors';
import {
  ALGORITHM_AES_256_XTS, DATA_UNIT_SIZE, FORMAT_VERSION, HEADER_SIZE, KEY_CHECK_SIZE,
  KEY_NAME_MAX, KNOWN_FLAGS, MAC_SIZE, MAGIC, NONCE_SIZE, OFFSET,
} from './constants';
import type { FileKeys } from './derive';
import { hmac } from './hkdf';

/** The fields of a v1 header; none of them is secret. */
export interface FileHeader {
  version: number;
  algorithm: number;
  flags: number;
  keyName: string;
  keyVersion: number;
  /** 16 random bytes, the HKDF salt of this file's keys. */
  nonce: Buffer;
  /** Key check value: tells a wrong key from a tampered header. */
  keyCheck: Buffer;
}

/** What the first bytes of a lower file say it is. */
export type HeaderDetection = 'header' | 'no-header';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RESERVED_KEY_NAME = 'clear_key';

/**
 * Classify a lower file from its first bytes (at least 8, ideally 4096) and
 * its size: 'no-header' means plaintext written before the guard point.
 * Throws CRYPTO_HEADER_TRUNCATED when the magic is there but the file is
 * shorter than a header.
 */
export function detectHeader(firstBytes: Buffer, lowerSize: number): HeaderDetection {
  if (firstBytes.length < Math.min(MAGIC.length, lowerSize)) {
    throw createError('CRYPTO_RANGE_INVALID', `expected the first ${Math.min(MAGIC.length, lowerSize)} bytes of the lower file, got ${firstBytes.length}`);
  }
  if (lowerSize < MAGIC.length || !firstBytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'no-header';
  if (lowerSize < HEADER_SIZE) {
    throw createError('CRYPTO_HEADER_TRUNCATED', `expected a lower file of at least ${HEADER_SIZE} bytes after the header magic, got ${lowerSize}`, { lowerSize });
  }
  return 'header';
}

/** Throw CRYPTO_KEY_INVALID unless `name` and `version` can go into a header. */
export function checkKeyIdentity(name: string, version: number): void {
  if (name === RESERVED_KEY_NAME || !KEY_NAME.test(name)) {
    throw createError('CRYPTO_KEY_INVALID', `expected a key name matching ${KEY_NAME.source} other than "${RESERVED_KEY_NAME}", got ${JSON.stringify(name)}`, { name });
  }
  if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) {
    throw createError('CRYPTO_KEY_INVALID', `expected a key version from 0 to 4294967295, got ${version}`, { version });
  }
}

/** Parse a header's fields without a key: structure, version, algorithm and flags are checked. */
export function parseHeader(header: Buffer): FileHeader {
  if (detectHeader(header, header.length) === 'no-header') throw noHeader();
  const version = header.readUInt16LE(OFFSET.version);
  if (version !== FORMAT_VERSION) {
    throw createError('CRYPTO_UNSUPPORTED_VERSION', `expected format version ${FORMAT_VERSION}, got ${version}`, { version });
  }
  const algorithm = header.readUInt16LE(OFFSET.algorithm);
  if (algorithm !== ALGORITHM_AES_256_XTS) {
    throw createError('CRYPTO_UNSUPPORTED_ALGORITHM', `expected algorithm id ${ALGORITHM_AES_256_XTS} (AES-256-XTS), got ${algorithm}`, { algorithm });
  }
  checkSize(header, OFFSET.headerSize, HEADER_SIZE, 'header size');
  checkSize(header, OFFSET.dataUnitSize, DATA_UNIT_SIZE, 'data unit size');
  const flags = header.readUInt32LE(OFFSET.flags);
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw createError('CRYPTO_UNKNOWN_FLAGS', `expected flags 0x${KNOWN_FLAGS.toString(16)}, got 0x${flags.toString(16)}`, { flags });
  }
  const keyName = parseKeyName(header);
  checkReserved(header);
  return {
    version, algorithm, flags, keyName,
    keyVersion: header.readUInt32LE(OFFSET.keyVersion),
    nonce: Buffer.from(header.subarray(OFFSET.nonce, OFFSET.nonce + NONCE_SIZE)),
    keyCheck: Buffer.from(header.subarray(OFFSET.keyCheck, OFFSET.keyCheck + KEY_CHECK_SIZE)),
  };
}

/** Encode a header and its authenticator under `keys`. */
export function encodeHeader(fields: Omit<FileHeader, 'version' | 'algorithm' | 'flags'>, keys: FileKeys): Buffer {
  checkKeyIdentity(fields.keyName, fields.keyVersion);
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, OFFSET.magic);
  header.writeUInt16LE(FORMAT_VERSION, OFFSET.version);
  header.writeUInt16LE(ALGORITHM_AES_256_XTS, OFFSET.algorithm);
  header.writeUInt32LE(HEADER_SIZE, OFFSET.headerSize);
  header.writeUInt32LE(DATA_UNIT_SIZE, OFFSET.dataUnitSize);
  header.writeUInt32LE(KNOWN_FLAGS, OFFSET.flags);
  header.writeUInt32LE(fields.keyVersion, OFFSET.keyVersion);
  header.writeUInt8(fields.keyName.length, OFFSET.keyNameLength);
  fields.nonce.copy(header, OFFSET.nonce);
  keys.keyCheck.copy(header, OFFSET.keyCheck);
  header.write(fields.keyName, OFFSET.keyName, 'ascii');
  headerMac(header, keys.macKey).copy(header, OFFSET.mac);
  return header;
}

/**
 * Check a parsed header against the keys derived from the supplied key:
 * CRYPTO_KEY_MISMATCH when the key check value differs (wrong key or wrong
 * version), CRYPTO_HEADER_TAMPERED when only the authenticator fails.
 */
export function verifyHeader(header: Buffer, parsed: FileHeader, keys: FileKeys): void {
  if (!timingSafeEqual(parsed.keyCheck, keys.keyCheck)) {
    throw createError('CRYPTO_KEY_MISMATCH', `expected the key this file was encrypted with (${parsed.keyName} version ${parsed.keyVersion}), got key material whose check value differs`, { keyName: parsed.keyName, keyVersion: parsed.keyVersion });
  }
  const expected = headerMac(header, keys.macKey);
  if (!timingSafeEqual(expected, header.subarray(OFFSET.mac, OFFSET.mac + MAC_SIZE))) {
    throw createError('CRYPTO_HEADER_TAMPERED', 'expected the header authenticator to match the header under the file key, got a mismatch: the header was altered', { keyName: parsed.keyName, keyVersion: parsed.keyVersion });
  }
}

function headerMac(header: Buffer, macKey: Buffer): Buffer {
  return hmac('sha256', macKey, header.subarray(0, OFFSET.mac));
}

function noHeader() {
  return createError('CRYPTO_NO_HEADER', `expected the ${HEADER_SIZE}-byte header starting with magic ${MAGIC.toString('hex')}, got none: the file holds plaintext`);
}

function checkSize(header: Buffer, offset: number, expected: number, what: string): void {
  const found = header.readUInt32LE(offset);
  if (found !== expected) {
    throw createError('CRYPTO_HEADER_INVALID', `expected ${what} ${expected} at header offset ${offset}, got ${found}`, { offset });
  }
}

function parseKeyName(header: Buffer): string {
  const length = header.readUInt8(OFFSET.keyNameLength);
  if (length < 1 || length > KEY_NAME_MAX) {
    throw createError('CRYPTO_HEADER_INVALID', `expected a key name length from 1 to ${KEY_NAME_MAX} at header offset ${OFFSET.keyNameLength}, got ${length}`, { offset: OFFSET.keyNameLength });
  }
  const field = header.subarray(OFFSET.keyName, OFFSET.keyName + KEY_NAME_MAX);
  const name = field.subarray(0, length).toString('latin1');
  if (!KEY_NAME.test(name) || name === RESERVED_KEY_NAME || !isZero(field.subarray(length))) {
    throw createError('CRYPTO_HEADER_INVALID', `expected a valid key name padded with zero bytes at header offset ${OFFSET.keyName}, got ${JSON.stringify(name)}`, { offset: OFFSET.keyName });
  }
  return name;
}

function checkReserved(header: Buffer): void {
  const ranges: Array<[number, number]> = [[OFFSET.reservedA, OFFSET.nonce], [OFFSET.reservedB, OFFSET.mac]];
  for (const [start, end] of ranges) {
    const field = header.subarray(start, end);
    if (isZero(field)) continue;
    const bad = field.findIndex((byte) => byte !== 0);
    if (bad >= 0) {
      throw createError('CRYPTO_HEADER_INVALID', `expected reserved header bytes ${start}..${end - 1} to be zero, got a non-zero byte at offset ${start + bad}`, { offset: start + bad });
    }
  }
}

const ZEROS = Buffer.alloc(HEADER_SIZE);

// Native comparison: a byte loop in JavaScript over the ~4 KiB of reserved
// bytes cost more than the rest of opening a header.
function isZero(bytes: Buffer): boolean {
  return bytes.length <= ZEROS.length ? bytes.equals(ZEROS.subarray(0, bytes.length)) : bytes.every((byte) => byte === 0);
}

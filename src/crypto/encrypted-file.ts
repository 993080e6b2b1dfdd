// Reference reader/writer of encrypted lower files with full random access.
// It defines what the kernel path must produce: tests use it to check
// lower files written by the kernel module, byte for byte.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { createError } from '../errors';
import type { KeyMaterial, KeyProvider } from '../keys/provider';
import { DATA_UNIT_SIZE, HEADER_SIZE, MAX_UNIT_INDEX } from './constants';
import { createFileCipher, FileCipher, fileCipherFromHeader, openFileCipher } from './file-cipher';
import { detectHeader, FileHeader } from './header';

/** What a lower file holds: format v1 ciphertext, or plaintext from before the guard point. */
export type LowerFileKind = 'encrypted' | 'plaintext';

const U = DATA_UNIT_SIZE;
const MAX_SIZE = (MAX_UNIT_INDEX + 1) * U;

/** Classify the lower file at `path` by its first bytes (throws CRYPTO_HEADER_TRUNCATED). */
export function detectLowerFile(path: string): LowerFileKind {
  const fd = openSync(path, 'r');
  try {
    const lowerSize = fstatSync(fd).size;
    const first = readAt(fd, 0, Math.min(HEADER_SIZE, lowerSize));
    return detectHeader(first, lowerSize) === 'header' ? 'encrypted' : 'plaintext';
  } finally {
    closeSync(fd);
  }
}

/** An open encrypted lower file: plaintext offsets in, ciphertext on disk. */
export class EncryptedFile {
  private constructor(private fd: number, private readonly cipher: FileCipher, readonly path: string) {}

  /** Create the lower file at `path` as a new encrypted file under `key`; an existing file is refused unless `overwrite`. */
  static create(path: string, key: KeyMaterial, options: { nonce?: Buffer; mode?: number; overwrite?: boolean } = {}): EncryptedFile {
    const { header, cipher } = createFileCipher(key, options.nonce);
    const fd = openSync(path, options.overwrite ? 'w+' : 'wx+', options.mode ?? 0o600);
    writeAt(fd, 0, header);
    return new EncryptedFile(fd, cipher, path);
  }

  /** Open an existing encrypted lower file, fetching its key from `provider`. */
  static async open(path: string, provider: KeyProvider, options: { readOnly?: boolean } = {}): Promise<EncryptedFile> {
    const fd = openSync(path, options.readOnly ? 'r' : 'r+');
    try {
      return new EncryptedFile(fd, await openFileCipher(readHeader(fd), provider), path);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Open an existing encrypted lower file with key material already at hand. */
  static openWithKey(path: string, key: KeyMaterial, options: { readOnly?: boolean } = {}): EncryptedFile {
    const fd = openSync(path, options.readOnly ? 'r' : 'r+');
    try {
      return new EncryptedFile(fd, fileCipherFromHeader(readHeader(fd), key), path);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The parsed header (key name, version, nonce). */
  get header(): FileHeader {
    return this.cipher.header;
  }

  /** Plaintext size: lower size minus the header. */
  size(): number {
    const lowerSize = fstatSync(this.fd).size;
    if (lowerSize < HEADER_SIZE) {
      throw createError('CRYPTO_LOWER_FILE_INVALID', `expected ${this.path} to be at least ${HEADER_SIZE} bytes, got ${lowerSize}`, { path: this.path });
    }
    return lowerSize - HEADER_SIZE;
  }

  /** Up to `length` plaintext bytes from `offset`; shorter at end of file. */
  read(offset: number, length: number): Buffer {
    checkExtent(offset, length);
    const end = Math.min(offset + length, this.size());
    if (end <= offset) return Buffer.alloc(0);
    const first = Math.floor(offset / U);
    const spanStart = first * U;
    const span = readAt(this.fd, HEADER_SIZE + spanStart, Math.min(Math.ceil(end / U) * U, this.size()) - spanStart);
    this.cipher.decryptUnits(first, span, span);
    return span.subarray(offset - spanStart, end - spanStart);
  }

  /** Write `data` at `offset`; writing past the end leaves untouched whole units as holes. */
  write(offset: number, data: Buffer): void {
    checkExtent(offset, data.length);
    if (data.length === 0) return;
    if (offset > this.size()) this.truncate(offset);
    const end = offset + data.length;
    const newSize = Math.max(this.size(), end);
    const first = Math.floor(offset / U);
    const last = Math.floor((end - 1) / U);
    const spanStart = first * U;
    const plain = Buffer.alloc(Math.min((last + 1) * U, newSize) - spanStart);
    // Only the first and last unit can be partly covered; their other
    // bytes come from the current plaintext.
    if (offset > spanStart || end < Math.min(spanStart + U, newSize)) this.read(spanStart, U).copy(plain, 0);
    if (last > first && end < spanStart + plain.length) this.read(last * U, U).copy(plain, last * U - spanStart);
    data.copy(plain, offset - spanStart);
    writeAt(this.fd, HEADER_SIZE + spanStart, this.cipher.encryptUnits(first, plain, plain));
  }

  /** Set the plaintext size; growing adds zeros, as holes where whole units are new. */
  truncate(newSize: number): void {
    checkExtent(newSize, 0);
    const size = this.size();
    if (newSize === size) return;
    // The unit that ends the file afterwards (shrink) or before (grow) is
    // re-encrypted at its new length: ciphertext stealing and the short
    // tail keystream both depend on a unit's length.
    const boundary = Math.min(newSize, size);
    if (boundary % U !== 0) {
      const unit = Math.floor(boundary / U);
      const stored = readAt(this.fd, HEADER_SIZE + unit * U, Math.min(U, size - unit * U));
      const length = Math.min(U, newSize - unit * U);
      writeAt(this.fd, HEADER_SIZE + unit * U, this.cipher.patchUnit(unit, stored, 0, Buffer.alloc(0), { length }));
    }
    ftruncateSync(this.fd, HEADER_SIZE + newSize);
  }

  /** Close the lower file and drop the key schedule. */
  close(): void {
    if (this.fd < 0) return;
    this.cipher.dispose();
    closeSync(this.fd);
    this.fd = -1;
  }
}

function readHeader(fd: number): Buffer {
  const lowerSize = fstatSync(fd).size;
  const header = readAt(fd, 0, Math.min(HEADER_SIZE, lowerSize));
  detectHeader(header, lowerSize);
  return header;
}

function checkExtent(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > MAX_SIZE) {
    throw createError('CRYPTO_RANGE_INVALID', `expected an offset and length within 0..${MAX_SIZE}, got offset ${offset} length ${length}`, { offset, length });
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function writeAt(fd: number, position: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

// HKDF (RFC 5869) through node:crypto, returning a Buffer the caller can zero.
import { hkdfSync } from 'node:crypto';

/** Hashes the format uses with HKDF: SHA-512 for keys; SHA-256 for RFC 5869 vectors. */
export type HkdfHash = 'sha256' | 'sha512';

/** Derive `length` bytes from `ikm` with `salt` and `info`; the caller zeroes the result. */
export function hkdf(hash: HkdfHash, ikm: Buffer, salt: Buffer, info: Buffer | string, length: number): Buffer {
  // hkdfSync returns a fresh ArrayBuffer: wrapping it (not copying) keeps a
  // single copy, which the caller can wipe with fill(0).
  return Buffer.from(hkdfSync(hash, ikm, salt, info, length));
}

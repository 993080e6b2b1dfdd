// Per-file keys: everything a file needs is derived with HKDF-SHA-512 from
// the named key's material (IKM) and the file nonce (salt).
import { createError } from '../errors';
import { INFO, KEY_CHECK_SIZE, KEY_MATERIAL_SIZE, NONCE_SIZE } from './constants';
import { hkdfMany } from './hkdf';

/** The derived keys of one file: plain Buffers the holder zeroes when done. */
export interface FileKeys {
  /** AES-256-XTS key (64 bytes: the data half, then the tweak half). */
  xts: Buffer;
  /** AES-256 key for the keystream of final units shorter than 16 bytes. */
  tail: Buffer;
  /** HMAC-SHA-256 key for the header authenticator. */
  macKey: Buffer;
  /** Value stored in the header to tell a wrong key from a tampered header. */
  keyCheck: Buffer;
}

/** Throw CRYPTO_KEY_INVALID unless `material` is 32 bytes. */
export function checkMaterial(material: Buffer): void {
  if (!Buffer.isBuffer(material) || material.length !== KEY_MATERIAL_SIZE) {
    const found = Buffer.isBuffer(material) ? `${material.length} bytes` : typeof material;
    throw createError('CRYPTO_KEY_INVALID', `expected ${KEY_MATERIAL_SIZE} bytes of key material, got ${found}`);
  }
}

/** Derive a file's keys from the named key's material and the file nonce. */
export function deriveFileKeys(material: Buffer, nonce: Buffer): FileKeys {
  checkMaterial(material);
  if (nonce.length !== NONCE_SIZE) {
    throw createError('CRYPTO_RANGE_INVALID', `expected a ${NONCE_SIZE}-byte file nonce, got ${nonce.length} bytes`);
  }
  const [xts, tail, macKey, keyCheck] = hkdfMany('sha512', material, nonce, [
    [INFO.xtsKey, 64], [INFO.tailKey, 32], [INFO.macKey, 32], [INFO.keyCheck, KEY_CHECK_SIZE],
  ]);
  // OpenSSL refuses XTS keys whose halves are equal; with HKDF output this
  // has probability 2^-256, but a precise error beats an OpenSSL one.
  if (xts.subarray(0, 32).equals(xts.subarray(32))) {
    for (const k of [xts, tail, macKey, keyCheck]) k.fill(0);
    throw createError('CRYPTO_KEY_INVALID', 'expected the two halves of the derived XTS key to differ, got equal halves');
  }
  return { xts, tail, macKey, keyCheck };
}

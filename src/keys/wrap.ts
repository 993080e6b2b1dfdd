// Optional passphrase wrapping of key material: scrypt derives a key-encryption
// key from the passphrase and a per-file salt; AES-256-GCM seals each version,
// bound to the key name and version so entries cannot be swapped.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'crypto';
import { createError } from '../errors';
import type { WrapParams } from './key-file';

/** scrypt cost for new files: N = 2^15, r = 8, p = 1 (about 32 MiB, tenths of a second). */
export const DEFAULT_WRAP = { log2N: 15, r: 8, p: 1 } as const;

/** Fresh parameters with a random salt. */
export function newWrapParams(): WrapParams {
  return { ...DEFAULT_WRAP, salt: randomBytes(16) };
}

/** Derive the key-encryption key; the caller zeroes it. */
export function deriveKek(passphrase: Buffer, params: WrapParams): Buffer {
  const N = 2 ** params.log2N;
  return scryptSync(passphrase, params.salt, 32, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 });
}

function aad(name: string, version: number): Buffer {
  const out = Buffer.alloc(name.length + 18);
  out.write('takakrypt-key\0', 0, 'latin1');
  out.write(name, 14, 'latin1');
  out.writeUInt32LE(version, 14 + name.length);
  return out;
}

/** Seal 32 bytes of material under `kek`. */
export function seal(kek: Buffer, name: string, version: number, material: Buffer): { iv: Buffer; sealed: Buffer; tag: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(aad(name, version));
  const sealed = Buffer.concat([cipher.update(material), cipher.final()]);
  return { iv, sealed, tag: cipher.getAuthTag() };
}

/** Open a sealed version; a wrong passphrase or altered entry throws KEYS_PASSPHRASE_WRONG. */
export function unseal(kek: Buffer, name: string, version: number, iv: Buffer, sealed: Buffer, tag: Buffer, file: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', kek, iv);
  decipher.setAAD(aad(name, version));
  decipher.setAuthTag(tag);
  const out = decipher.update(sealed);
  try {
    decipher.final();
  } catch {
    out.fill(0);
    throw createError('KEYS_PASSPHRASE_WRONG', `key file ${file}: expected the passphrase it was wrapped with, got one that fails authentication (or the file was altered)`, { path: file, version });
  }
  return out;
}

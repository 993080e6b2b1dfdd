// HKDF (RFC 5869) with node:crypto's HMAC, returning Buffers the caller
// can zero. One extract serves every key derived from the same input and
// salt: a file's four keys cost five HMACs (hkdfSync would redo the
// extract and build a key object for each, about ten times the work).
import { createHmac } from 'node:crypto';

/** Hashes the format uses with HKDF: SHA-512 for keys; SHA-256 for RFC 5869 vectors. */
export type HkdfHash = 'sha256' | 'sha512';

const HASH_LENGTH: Record<HkdfHash, number> = { sha256: 32, sha512: 64 };

/** Derive `length` bytes from `ikm` with `salt` and `info`; the caller zeroes the result. */
export function hkdf(hash: HkdfHash, ikm: Buffer, salt: Buffer, info: Buffer | string, length: number): Buffer {
  return hkdfMany(hash, ikm, salt, [[info, length]])[0];
}

/**
 * Derive one output per [info, length] from the same `ikm` and `salt`,
 * each equal to hkdf(hash, ikm, salt, info, length); the caller zeroes them.
 */
export function hkdfMany(hash: HkdfHash, ikm: Buffer, salt: Buffer, outputs: ReadonlyArray<readonly [Buffer | string, number]>): Buffer[] {
  const hashLength = HASH_LENGTH[hash];
  for (const [, length] of outputs) {
    if (!Number.isInteger(length) || length < 1 || length > 255 * hashLength) {
      throw new RangeError(`expected an HKDF output length from 1 to ${255 * hashLength}, got ${length}`);
    }
  }
  // RFC 5869 2.2: no salt means hashLength zero bytes, which HMAC pads to the same key.
  const prk = createHmac(hash, salt).update(ikm).digest();
  try {
    return outputs.map(([info, length]) => expand(hash, prk, typeof info === 'string' ? Buffer.from(info) : info, length));
  } finally {
    prk.fill(0);
  }
}

// RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i), the output is T(1) | T(2) | ...
function expand(hash: HkdfHash, prk: Buffer, info: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  let previous = Buffer.alloc(0);
  for (let i = 1, done = 0; done < length; i++) {
    const block = createHmac(hash, prk).update(previous).update(info).update(Buffer.of(i)).digest();
    previous.fill(0);
    block.copy(out, done, 0, Math.min(block.length, length - done));
    done += block.length;
    previous = block;
  }
  previous.fill(0);
  return out;
}

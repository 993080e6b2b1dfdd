// HMAC, and HKDF (RFC 5869) returning Buffers the caller can zero. One
// extract serves every key derived from the same input and salt: a file's
// four keys cost one extract and four expands (hkdfSync would redo the
// extract and build a key object for each). With the addon built, each
// is one native call (addon/src/kdf.cc); without it, node:crypto's HMAC
// computes the same bytes.
import { createHmac } from 'node:crypto';
import { optionalAddon } from '../kernel/native';

/** Hashes the format uses with HKDF: SHA-512 for keys; SHA-256 for RFC 5869 vectors. */
export type HkdfHash = 'sha256' | 'sha512';

const HASH_LENGTH: Record<HkdfHash, number> = { sha256: 32, sha512: 64 };

/** The addon's entry points for HMAC and HKDF (addon/src/kdf.cc). */
export interface KdfNative {
  hmac(hash: HkdfHash, key: Buffer, data: Buffer): Buffer;
  hkdf(hash: HkdfHash, ikm: Buffer, salt: Buffer, infos: Buffer[], lengths: number[]): Buffer[];
}

/** Which code computes HMAC and HKDF. */
export type KdfBackend = 'addon' | 'node:crypto';

let native: KdfNative | null | undefined;

/** The addon's HMAC and HKDF, or null when the addon is not built or predates them. */
export function loadKdfNative(): KdfNative | null {
  if (native === undefined) native = optionalAddon<KdfNative>(['hmac', 'hkdf']);
  return native;
}

/** The backend hmac and hkdfMany use by default: the addon when it is built. */
export function kdfBackend(): KdfBackend {
  return loadKdfNative() ? 'addon' : 'node:crypto';
}

/** The most outputs one hkdfMany call derives, and the longest info (as node's hkdfSync). */
export const HKDF_MAX_OUTPUTS = 16;
export const HKDF_MAX_INFO = 1024;

function hashLengthOf(hash: HkdfHash): number {
  if (!Object.hasOwn(HASH_LENGTH, hash)) {
    throw new TypeError(`expected hash sha256 or sha512, got ${String(hash)}`);
  }
  return HASH_LENGTH[hash];
}

/** HMAC of `data` under `key`. */
export function hmac(hash: HkdfHash, key: Buffer, data: Buffer, backend = kdfBackend()): Buffer {
  hashLengthOf(hash);
  if (backend === 'addon') return (loadKdfNative() as KdfNative).hmac(hash, key, data);
  return createHmac(hash, key).update(data).digest();
}

/** Derive `length` bytes from `ikm` with `salt` and `info`; the caller zeroes the result. */
export function hkdf(hash: HkdfHash, ikm: Buffer, salt: Buffer, info: Buffer | string, length: number, backend = kdfBackend()): Buffer {
  return hkdfMany(hash, ikm, salt, [[info, length]], backend)[0];
}

/**
 * Derive one output per [info, length] from the same `ikm` and `salt`,
 * each equal to hkdf(hash, ikm, salt, info, length); the caller zeroes them.
 */
export function hkdfMany(hash: HkdfHash, ikm: Buffer, salt: Buffer, outputs: ReadonlyArray<readonly [Buffer | string, number]>, backend = kdfBackend()): Buffer[] {
  const hashLength = hashLengthOf(hash);
  if (outputs.length > HKDF_MAX_OUTPUTS) {
    throw new RangeError(`expected at most ${HKDF_MAX_OUTPUTS} HKDF outputs, got ${outputs.length}`);
  }
  for (const [, length] of outputs) {
    if (!Number.isInteger(length) || length < 1 || length > 255 * hashLength) {
      throw new RangeError(`expected an HKDF output length from 1 to ${255 * hashLength}, got ${length}`);
    }
  }
  const infos = outputs.map(([info]) => (typeof info === 'string' ? Buffer.from(info) : info));
  for (const info of infos) {
    if (info.length > HKDF_MAX_INFO) {
      throw new RangeError(`expected an HKDF info of at most ${HKDF_MAX_INFO} bytes, got ${info.length}`);
    }
  }
  if (backend === 'addon') {
    return (loadKdfNative() as KdfNative).hkdf(hash, ikm, salt, infos, outputs.map(([, length]) => length));
  }
  // RFC 5869 2.2: no salt means hashLength zero bytes, which HMAC pads to the same key.
  const prk = createHmac(hash, salt).update(ikm).digest();
  try {
    return outputs.map(([, length], i) => expand(hash, prk, infos[i], length));
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

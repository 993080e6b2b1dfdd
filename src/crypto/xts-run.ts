// Runs of AES-256-XTS data units. The addon's xtsRun keeps one OpenSSL
// context per run and resets the tweak per unit; node:crypto cannot change
// the tweak of a cipher, so without the addon every unit needs a cipher of
// its own (same bytes, several times slower).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createError } from '../errors';
import { optionalAddon } from '../kernel/native';
import { DATA_UNIT_SIZE } from './constants';

/** The addon's entry points for XTS runs (addon/src/xts_run.cc). */
export interface XtsNative {
  xtsRun(key: Buffer, firstUnit: number | bigint, unitSize: number, input: Buffer, output: Buffer, encrypt: boolean, zeroUnits: boolean): void;
  xtsRunAsync(key: Buffer, firstUnit: number | bigint, unitSize: number, input: Buffer, output: Buffer, encrypt: boolean, zeroUnits: boolean): Promise<void>;
}

/** Which code computes XTS runs. */
export type XtsBackend = 'addon' | 'node:crypto';

const AES_BLOCK = 16;
const ZERO_UNIT = Buffer.alloc(DATA_UNIT_SIZE);
let native: XtsNative | null | undefined;

/** The addon's XTS entry points, or null when the addon is not built or predates them. */
export function loadXtsNative(): XtsNative | null {
  if (native === undefined) native = optionalAddon<XtsNative>(['xtsRun', 'xtsRunAsync']);
  return native;
}

/** The backend xtsRun uses by default: the addon when it is built. */
export function xtsBackend(): XtsBackend {
  return loadXtsNative() ? 'addon' : 'node:crypto';
}

/** The 16-byte tweak of unit `index`: the index as a 128-bit little-endian number. */
export function unitTweak(index: number): Buffer {
  const tweak = Buffer.alloc(AES_BLOCK);
  tweak.writeUInt32LE(index >>> 0, 0);
  tweak.writeUInt32LE(Math.floor(index / 0x100000000), 4);
  return tweak;
}

/**
 * Encrypt or decrypt the 4096-byte units of `input` (the last may be
 * shorter, but at least 16 bytes) starting at unit `firstUnit` into the
 * first input.length bytes of `output`, which is `input` itself or does
 * not overlap it. With
 * `zeroUnits`, the zero-unit rule of docs/FORMAT.md 4.3 applies.
 */
export function xtsRun(key: Buffer, firstUnit: number, input: Buffer, output: Buffer, encrypt: boolean, zeroUnits: boolean, backend = xtsBackend()): void {
  if (backend === 'node:crypto') {
    runWithNodeCrypto(key, firstUnit, input, output, encrypt, zeroUnits);
    return;
  }
  try {
    (loadXtsNative() as XtsNative).xtsRun(key, firstUnit, DATA_UNIT_SIZE, input, output, encrypt, zeroUnits);
  } catch (err) {
    throw xtsFailure(err, firstUnit, input.length);
  }
}

// An OpenSSL failure of the addon as CRYPTO_XTS_FAILED naming the units;
// anything else (the addon's own argument checks) as it is.
function xtsFailure(err: unknown, firstUnit: number, length: number): unknown {
  if ((err as { code?: unknown }).code !== 'EOPENSSL') return err;
  const last = firstUnit + Math.ceil(length / DATA_UNIT_SIZE) - 1;
  return createError('CRYPTO_XTS_FAILED', `expected OpenSSL to process data units ${firstUnit}..${last} with AES-256-XTS, got ${(err as Error).message}`, { firstUnit, last });
}

/**
 * xtsRun on a libuv pool thread when the addon is built (the key schedule
 * is set up before this returns, so `key` may be wiped at once; `input`
 * and `output` must stay untouched until the promise settles); without
 * the addon, the same work done before returning.
 */
export function xtsRunAsync(key: Buffer, firstUnit: number, input: Buffer, output: Buffer, encrypt: boolean, zeroUnits: boolean, backend = xtsBackend()): Promise<void> {
  if (backend === 'node:crypto') {
    try {
      runWithNodeCrypto(key, firstUnit, input, output, encrypt, zeroUnits);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
  const failed = (err: unknown): Promise<never> => Promise.reject(xtsFailure(err, firstUnit, input.length));
  try {
    return (loadXtsNative() as XtsNative).xtsRunAsync(key, firstUnit, DATA_UNIT_SIZE, input, output, encrypt, zeroUnits).catch(failed);
  } catch (err) {
    return failed(err);
  }
}

function runWithNodeCrypto(key: Buffer, firstUnit: number, input: Buffer, output: Buffer, encrypt: boolean, zeroUnits: boolean): void {
  for (let start = 0, index = firstUnit; start < input.length; start += DATA_UNIT_SIZE, index++) {
    const unit = input.subarray(start, start + DATA_UNIT_SIZE);
    if (zeroUnits && isZero(unit)) {
      output.fill(0, start, start + unit.length);
      continue;
    }
    let result = permute(key, index, unit, encrypt);
    if (zeroUnits && isZero(result)) result = permute(key, index, Buffer.alloc(unit.length), encrypt);
    result.copy(output, start);
    result.fill(0);
  }
}

function permute(key: Buffer, index: number, unit: Buffer, encrypt: boolean): Buffer {
  // update() returns the whole unit; final() would add nothing.
  const tweak = unitTweak(index);
  return (encrypt ? createCipheriv('aes-256-xts', key, tweak) : createDecipheriv('aes-256-xts', key, tweak)).update(unit);
}

function isZero(bytes: Buffer): boolean {
  return bytes.equals(ZERO_UNIT.subarray(0, bytes.length));
}

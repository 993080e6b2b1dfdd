// FileCipher: the per-file key schedule, derived once from the header and
// reused for every run of data units of that file.
import { randomBytes } from 'node:crypto';
import { createError } from '../errors';
import type { KeyMaterial, KeyProvider } from '../keys/provider';
import { DATA_UNIT_SIZE, MAX_UNIT_INDEX, NONCE_SIZE } from './constants';
import { checkMaterial, deriveFileKeys, FileKeys } from './derive';
import { checkKeyIdentity, encodeHeader, FileHeader, parseHeader, verifyHeader } from './header';
import { UnitCipher } from './unit-cipher';

/** Options of FileCipher.patchUnit. */
export interface PatchOptions {
  /** New length of the unit (0..4096); default: grow to cover the data. */
  length?: number;
}

/**
 * Encrypts and decrypts the data units of one file; create it once per open
 * file. One FileCipher can serve any number of interleaved requests for its
 * file: the synchronous methods run on the agent's thread, the Async ones
 * use the keys before returning and finish on a pool thread.
 */
export class FileCipher {
  private units: UnitCipher | undefined;

  /** Takes copies of the contents keys; the caller still zeroes `keys`. */
  constructor(readonly header: FileHeader, keys: FileKeys) {
    this.units = new UnitCipher(keys.xts, keys.tail);
  }

  /**
   * Encrypt a run of data units starting at unit `firstUnit`: `plaintext`
   * is cut into 4096-byte units, the last may be shorter. Writes into `out`
   * (default: a new Buffer; `out` may be `plaintext` itself) and returns it.
   */
  encryptUnits(firstUnit: number, plaintext: Buffer, out?: Buffer): Buffer {
    return this.run(firstUnit, plaintext, out, true);
  }

  /** Decrypt a run of data units starting at `firstUnit`; the mirror of encryptUnits. */
  decryptUnits(firstUnit: number, ciphertext: Buffer, out?: Buffer): Buffer {
    return this.run(firstUnit, ciphertext, out, false);
  }

  /**
   * encryptUnits with the AES work on a libuv pool thread, so that runs of
   * several requests use every core. The keys are used before this
   * returns: disposing the cipher meanwhile is safe. `plaintext` and `out`
   * must stay untouched until the promise settles.
   */
  encryptUnitsAsync(firstUnit: number, plaintext: Buffer, out?: Buffer): Promise<Buffer> {
    return this.runAsync(firstUnit, plaintext, out, true);
  }

  /** decryptUnits on a pool thread; as encryptUnitsAsync. */
  decryptUnitsAsync(firstUnit: number, ciphertext: Buffer, out?: Buffer): Promise<Buffer> {
    return this.runAsync(firstUnit, ciphertext, out, false);
  }

  /**
   * Read-modify-write of one unit: decrypt `current` (the unit as stored,
   * possibly short or empty), write `data` at `offsetInUnit` (a gap reads
   * as zeros), cut or zero-extend to `options.length`, and return the new
   * ciphertext of the unit.
   */
  patchUnit(unitIndex: number, current: Buffer, offsetInUnit: number, data: Buffer, options: PatchOptions = {}): Buffer {
    const units = this.live();
    checkUnitRange(unitIndex, 1);
    const end = offsetInUnit + data.length;
    const length = options.length ?? Math.max(current.length, end);
    if (!Number.isInteger(offsetInUnit) || offsetInUnit < 0 || end > length || length > DATA_UNIT_SIZE || current.length > DATA_UNIT_SIZE) {
      throw createError('CRYPTO_RANGE_INVALID', `expected a patch within one ${DATA_UNIT_SIZE}-byte unit, got offset ${offsetInUnit}, ${data.length} bytes, unit length ${length}, stored ${current.length}`);
    }
    const plain = Buffer.alloc(length);
    if (current.length > 0) {
      const old = units.decrypt(unitIndex, current);
      old.copy(plain, 0, 0, Math.min(old.length, length));
      old.fill(0);
    }
    data.copy(plain, offsetInUnit);
    const result = length === 0 ? plain : units.encrypt(unitIndex, plain);
    plain.fill(0);
    return result;
  }

  /**
   * Run `use` with the file's content keys (the 64-byte XTS key and the
   * 32-byte tail key): the cipher's own Buffers, to copy, never to keep.
   */
  withKeys<T>(use: (xtsKey: Buffer, tailKey: Buffer) => T): T {
    return this.live().withKeys(use);
  }

  /** Zero the file's keys; any later use throws CRYPTO_CIPHER_DISPOSED. */
  dispose(): void {
    this.units?.wipe();
    this.units = undefined;
  }

  private run(firstUnit: number, input: Buffer, out: Buffer | undefined, encrypt: boolean): Buffer {
    const { units, output } = this.checkRun(firstUnit, input, out);
    units.transformRun(firstUnit, input, encrypt, output);
    return output;
  }

  private async runAsync(firstUnit: number, input: Buffer, out: Buffer | undefined, encrypt: boolean): Promise<Buffer> {
    const { units, output } = this.checkRun(firstUnit, input, out);
    await units.transformRunAsync(firstUnit, input, encrypt, output);
    return output;
  }

  private checkRun(firstUnit: number, input: Buffer, out: Buffer | undefined): { units: UnitCipher; output: Buffer } {
    const units = this.live();
    const count = Math.ceil(input.length / DATA_UNIT_SIZE);
    checkUnitRange(firstUnit, count);
    const output = out ?? Buffer.allocUnsafe(input.length);
    if (output.length < input.length) {
      throw createError('CRYPTO_RANGE_INVALID', `expected an output buffer of at least ${input.length} bytes, got ${output.length}`);
    }
    if (overlaps(input, output)) {
      throw createError('CRYPTO_RANGE_INVALID', 'expected the output buffer to be the input itself or separate from it, got one overlapping it at a different offset');
    }
    return { units, output };
  }

  private live(): UnitCipher {
    if (this.units === undefined) {
      throw createError('CRYPTO_CIPHER_DISPOSED', `expected a live file cipher for key ${this.header.keyName} version ${this.header.keyVersion}, got one already disposed`);
    }
    return this.units;
  }
}

// Nonces are drawn from 4 KiB of OpenSSL randomness at a time: one RAND
// call per 256 new files instead of one per file. A nonce is public (it is
// stored in the header), so holding the next ones in memory reveals nothing.
const NONCE_POOL_SIZE = 256 * NONCE_SIZE;
let noncePool = Buffer.alloc(0);
let nonceUsed = 0;

/** A random file nonce, never handed out twice from the pool. */
export function freshNonce(): Buffer {
  if (nonceUsed + NONCE_SIZE > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_SIZE);
    nonceUsed = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(nonceUsed, nonceUsed + NONCE_SIZE));
  noncePool.fill(0, nonceUsed, nonceUsed + NONCE_SIZE);
  nonceUsed += NONCE_SIZE;
  return nonce;
}

/** A new file's header (4096 bytes, to write at offset 0) and its cipher; `nonce` only for fixtures. */
export function createFileCipher(key: KeyMaterial, nonce: Buffer = freshNonce()): { header: Buffer; cipher: FileCipher } {
  checkMaterial(key.material);
  checkKeyIdentity(key.name, key.version);
  const keys = deriveFileKeys(key.material, nonce);
  try {
    const header = encodeHeader({ keyName: key.name, keyVersion: key.version, nonce, keyCheck: keys.keyCheck }, keys);
    return { header, cipher: new FileCipher(parseHeader(header), keys) };
  } finally {
    wipe(keys);
  }
}

/** The cipher of an existing file from its header and the key material it names. */
export function fileCipherFromHeader(header: Buffer, key: KeyMaterial): FileCipher {
  const parsed = parseHeader(header);
  if (key.name !== parsed.keyName || key.version !== parsed.keyVersion) {
    throw createError('CRYPTO_KEY_MISMATCH', `expected key ${parsed.keyName} version ${parsed.keyVersion}, got ${key.name} version ${key.version}`, { keyName: parsed.keyName, keyVersion: parsed.keyVersion });
  }
  const keys = deriveFileKeys(key.material, parsed.nonce);
  try {
    verifyHeader(header, parsed, keys);
    return new FileCipher(parsed, keys);
  } finally {
    wipe(keys);
  }
}

/** Parse `header`, fetch the key it names from `provider`, verify, and return the file's cipher. */
export async function openFileCipher(header: Buffer, provider: KeyProvider): Promise<FileCipher> {
  const parsed = parseHeader(header);
  const key = await provider.getKey(parsed.keyName, parsed.keyVersion);
  try {
    return fileCipherFromHeader(header, key);
  } finally {
    key.material.fill(0);
  }
}

/** Throw CRYPTO_RANGE_INVALID unless units firstUnit..firstUnit+count-1 exist in the format. */
export function checkUnitRange(firstUnit: number, count: number): void {
  if (!Number.isSafeInteger(firstUnit) || firstUnit < 0 || firstUnit + count - 1 > MAX_UNIT_INDEX) {
    throw createError('CRYPTO_RANGE_INVALID', `expected data unit indexes from 0 to ${MAX_UNIT_INDEX}, got ${firstUnit}..${firstUnit + count - 1}`, { firstUnit, count });
  }
}

function wipe(keys: FileKeys): void {
  keys.xts.fill(0);
  keys.tail.fill(0);
  keys.macKey.fill(0);
  keys.keyCheck.fill(0);
}

function overlaps(a: Buffer, b: Buffer): boolean {
  if (a.buffer !== b.buffer || a.byteOffset === b.byteOffset) return false;
  return a.byteOffset < b.byteOffset + a.length && b.byteOffset < a.byteOffset + a.length;
}

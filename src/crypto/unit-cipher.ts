// Data units of one file: AES-256-XTS for units of 16 bytes or more (with
// OpenSSL's ciphertext stealing for lengths not a multiple of 16), a
// tweak-derived keystream for a final unit shorter than 16 bytes, and the
// zero-preserving rule that keeps holes readable. See docs/FORMAT.md.
import { createCipheriv, KeyObject } from 'node:crypto';
import { DATA_UNIT_SIZE } from './constants';
import { unitTweak, xtsRun, xtsRunAsync } from './xts-run';

const AES_BLOCK = 16;
const ZERO_UNIT = Buffer.alloc(DATA_UNIT_SIZE);

/** True when every byte of `bytes` (at most one data unit) is zero. */
export function isZeroUnit(bytes: Buffer): boolean {
  return bytes.length === DATA_UNIT_SIZE ? bytes.equals(ZERO_UNIT) : bytes.equals(ZERO_UNIT.subarray(0, bytes.length));
}

/** Write `index` as the 16-byte little-endian tweak of a data unit. */
export function writeTweak(tweak: Buffer, index: number): void {
  unitTweak(index).copy(tweak, 0);
}

/**
 * Encrypts and decrypts the data units of one file. It holds its own copy
 * of the key bytes in plain Buffers, so wipe() can zero them; no OpenSSL
 * context outlives a call.
 */
export class UnitCipher {
  private readonly xtsKey: Buffer;
  private readonly tailKey: Buffer;

  constructor(xtsKey: KeyObject | Buffer, tailKey: KeyObject | Buffer) {
    this.xtsKey = ownCopy(xtsKey);
    this.tailKey = ownCopy(tailKey);
  }

  /** Ciphertext of one unit (1..4096 bytes) at `index`; a fresh Buffer. */
  encrypt(index: number, plaintext: Buffer): Buffer {
    const ciphertext = Buffer.allocUnsafe(plaintext.length);
    this.transformInto(index, plaintext, true, ciphertext, 0);
    return ciphertext;
  }

  /** Plaintext of one unit (1..4096 bytes) at `index`; a fresh Buffer. */
  decrypt(index: number, ciphertext: Buffer): Buffer {
    const plaintext = Buffer.allocUnsafe(ciphertext.length);
    this.transformInto(index, ciphertext, false, plaintext, 0);
    return plaintext;
  }

  /**
   * Encrypt or decrypt the units of `input` from unit `firstUnit` into
   * `output` (`input` itself or a Buffer not overlapping it) under the
   * zero-unit rule: one native call for every unit of 16 bytes or more, the
   * keystream for a final unit shorter than that.
   */
  transformRun(firstUnit: number, input: Buffer, encrypt: boolean, output: Buffer): void {
    const { xtsLength, xtsInput } = splitRun(input);
    if (xtsLength > 0) xtsRun(this.xtsKey, firstUnit, xtsInput, output, encrypt, true);
    if (xtsLength < input.length) {
      this.transformInto(firstUnit + xtsLength / DATA_UNIT_SIZE, input.subarray(xtsLength), encrypt, output, xtsLength);
    }
  }

  /**
   * transformRun with the XTS part on a pool thread: everything that needs
   * the keys happens before this returns (a short last unit is done here),
   * so wipe() may follow at once. `input` and `output` must stay untouched
   * until the promise settles.
   */
  transformRunAsync(firstUnit: number, input: Buffer, encrypt: boolean, output: Buffer): Promise<void> {
    const { xtsLength, xtsInput } = splitRun(input);
    const pending = xtsLength > 0 ? xtsRunAsync(this.xtsKey, firstUnit, xtsInput, output, encrypt, true) : Promise.resolve();
    if (xtsLength < input.length) {
      try {
        this.transformInto(firstUnit + xtsLength / DATA_UNIT_SIZE, input.subarray(xtsLength), encrypt, output, xtsLength);
      } catch (err) {
        // Settle the pool's work first: the caller frees the buffers after.
        return pending.then(() => Promise.reject(err), () => Promise.reject(err));
      }
    }
    return pending;
  }

  /**
   * Encrypt or decrypt one unit into `output` at `offset` under the
   * zero-unit rule (docs/FORMAT.md 4.3): zeros map to zeros, and the one
   * input the permutation sends to zeros takes the place zeros left.
   */
  transformInto(index: number, input: Buffer, encrypt: boolean, output: Buffer, offset: number): void {
    if (input.length >= AES_BLOCK) {
      xtsRun(this.xtsKey, index, input, output.subarray(offset, offset + input.length), encrypt, true);
      return;
    }
    if (isZeroUnit(input)) {
      output.fill(0, offset, offset + input.length);
      return;
    }
    let result = this.permute(index, input, encrypt);
    if (isZeroUnit(result)) result = this.permute(index, Buffer.alloc(input.length), encrypt);
    result.copy(output, offset);
    result.fill(0);
  }

  /** The underlying length-preserving permutation, without the zero rule. */
  permute(index: number, input: Buffer, encrypt: boolean): Buffer {
    const output = Buffer.allocUnsafe(input.length);
    if (input.length >= AES_BLOCK) {
      xtsRun(this.xtsKey, index, input, output, encrypt, false);
      return output;
    }
    // The short tail: keystream = AES(tail key, tweak), XORed in. The ECB
    // cipher is made per call because short tails are rare and a cipher
    // object kept for the file could not be wiped.
    const ecb = createCipheriv('aes-256-ecb', this.tailKey, null);
    ecb.setAutoPadding(false);
    const block = ecb.update(unitTweak(index));
    for (let i = 0; i < input.length; i++) output[i] = input[i] ^ block[i];
    block.fill(0);
    return output;
  }

  /** Run `use` with the key Buffers themselves: it may copy them, never keep them. */
  withKeys<T>(use: (xtsKey: Buffer, tailKey: Buffer) => T): T {
    return use(this.xtsKey, this.tailKey);
  }

  /** Zero the key bytes; the cipher must not be used afterwards. */
  wipe(): void {
    this.xtsKey.fill(0);
    this.tailKey.fill(0);
  }
}

// A run as XTS does it (every unit of 16 bytes or more) and the short
// tail the keystream does. xtsRun writes input.length bytes of a longer
// output; slicing only when needed keeps small runs cheap.
function splitRun(input: Buffer): { xtsLength: number; xtsInput: Buffer } {
  const tail = input.length % DATA_UNIT_SIZE;
  const xtsLength = tail > 0 && tail < AES_BLOCK ? input.length - tail : input.length;
  return { xtsLength, xtsInput: xtsLength === input.length ? input : input.subarray(0, xtsLength) };
}

function ownCopy(key: KeyObject | Buffer): Buffer {
  // export() of a secret KeyObject is already a fresh Buffer.
  return Buffer.isBuffer(key) ? Buffer.from(key) : key.export();
}

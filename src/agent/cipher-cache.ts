// The data path's file ciphers, kept by file header so that the ENCRYPT
// and DECRYPT requests of an open file skip HKDF and the header check.
// Bounded, least recently used first out; every cipher that leaves is
// disposed, which zeroes its keys. A mirror (the addon's cipher table)
// holds the same files' keys and loses each one when the cache does.
import { HEADER_SIZE, OFFSET } from '../crypto/constants';
import type { FileCipher } from '../crypto/file-cipher';

/**
 * Files whose ciphers are kept when no capacity is given: more than a
 * large tar extraction writes between two flushes, so the ENCRYPT of a
 * file made by NEW_HEADER finds its cipher. An entry keeps 128 bytes of
 * the header and the file's keys, not the whole 4 KiB header.
 */
export const DEFAULT_CIPHER_CACHE_SIZE = 16384;

interface Entry {
  // The header's fields (everything before the reserved area; the MAC is
  // the map key), or the whole header when its reserved area is not zero.
  kept: Buffer;
  cipher: FileCipher;
}

const ZERO_RESERVED = Buffer.alloc(OFFSET.mac - OFFSET.reservedB);

/** A second home for the cache's ciphers, told of every one that comes and goes. */
export interface CipherMirror {
  add(header: Buffer, cipher: FileCipher): void;
  /** The entry whose header has this 32-byte MAC leaves. */
  remove(mac: Buffer): void;
  clear(): void;
  /** The MACs of entries the mirror used since last asked (requests the cache never saw). */
  touched?(): Buffer[];
}

/** File header -> FileCipher, at most `capacity` of them. */
export class CipherCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least
  // recently used entry first.
  private readonly entries = new Map<string, Entry>();

  constructor(readonly capacity: number = DEFAULT_CIPHER_CACHE_SIZE, private readonly mirror: CipherMirror | null = null) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`expected a cipher cache capacity of at least 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cipher opened for exactly this header, or undefined. */
  get(header: Buffer): FileCipher | undefined {
    const tag = tagOf(header);
    const entry = this.entries.get(tag);
    // The tag only finds the entry; a header that differs elsewhere with
    // the same tag is another (forged) header and must be opened itself.
    if (entry === undefined || !sameHeader(entry.kept, header)) return undefined;
    this.entries.delete(tag);
    this.entries.set(tag, entry);
    return entry.cipher;
  }

  /**
   * Keep `cipher` for `header` and return the cipher to use: an equal
   * header already cached (opened meanwhile by another request) wins and
   * `cipher` is disposed.
   */
  put(header: Buffer, cipher: FileCipher): FileCipher {
    const tag = tagOf(header);
    const existing = this.entries.get(tag);
    if (existing !== undefined && sameHeader(existing.kept, header) && existing.cipher !== cipher) {
      cipher.dispose();
      return this.get(header) as FileCipher;
    }
    if (existing !== undefined && existing.cipher !== cipher) existing.cipher.dispose();
    this.entries.delete(tag);
    this.entries.set(tag, { kept: ownCopy(reservedIsZero(header) ? header.subarray(0, OFFSET.reservedB) : header), cipher });
    // Evicted first: the mirror holds no more files than the cache.
    this.evict();
    this.mirror?.add(header, cipher);
    return cipher;
  }

  /** Dispose every cipher (stop, reload). */
  clear(): void {
    this.mirror?.clear();
    for (const entry of this.entries.values()) entry.cipher.dispose();
    this.entries.clear();
  }

  private evict(): void {
    if (this.entries.size <= this.capacity) return;
    // Files the mirror served are as recently used as any the cache saw.
    for (const mac of this.mirror?.touched?.() ?? []) {
      const tag = mac.toString('base64');
      const entry = this.entries.get(tag);
      if (entry === undefined) continue;
      this.entries.delete(tag);
      this.entries.set(tag, entry);
    }
    while (this.entries.size > this.capacity) {
      const [tag, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(tag);
      this.mirror?.remove(Buffer.from(tag, 'base64'));
      oldest.cipher.dispose();
    }
  }
}

// A copy with memory of its own: a small Buffer.from() lands in node's
// shared 8 KiB pool, and one kept copy would keep its whole block alive.
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function reservedIsZero(header: Buffer): boolean {
  return header.length === HEADER_SIZE && header.subarray(OFFSET.reservedB, OFFSET.mac).equals(ZERO_RESERVED);
}

// Whether `header` equals the header an entry keeps (with the same MAC).
function sameHeader(kept: Buffer, header: Buffer): boolean {
  if (kept.length !== OFFSET.reservedB) return kept.equals(header);
  return reservedIsZero(header) && kept.equals(header.subarray(0, OFFSET.reservedB));
}

// The header's MAC: 32 bytes that differ between any two files.
function tagOf(header: Buffer): string {
  return header.toString('base64', OFFSET.mac, OFFSET.mac + 32);
}

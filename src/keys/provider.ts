// The key-provider interface: the local key store implements it today; a
// KMIP key manager can implement it later without touching its callers.
import type { BigIntStats } from 'fs';

/** Public facts about one key version; never carries material. */
export interface KeyInfo {
  name: string;
  version: number;
  /** ISO 8601 creation time. */
  created: string;
  algorithm: 'AES-256';
}

/** One key version with its material. Callers zero `material` when done. */
export interface KeyMaterial {
  name: string;
  version: number;
  /** 32 bytes of AES-256 key material. */
  material: Buffer;
  /**
   * The key file the material was read from and its identity then
   * (keyFileStamp), when the provider reads files: a holder of the
   * material can check with one lstat that the file is unchanged before
   * each use, as the provider does.
   */
  source?: { path: string; stamp: Buffer };
}

/** Bytes of keyFileStamp: seven little-endian 64-bit fields. */
export const KEY_FILE_STAMP_SIZE = 56;

/** What identifies the contents of a file without reading it: device, inode, size, modification and change times (ns), mode, owner. */
export function keyFileStamp(stats: BigIntStats): Buffer {
  const out = Buffer.alloc(KEY_FILE_STAMP_SIZE);
  [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs, stats.mode, stats.uid]
    .forEach((v, i) => out.writeBigUInt64LE(BigInt.asUintN(64, v), i * 8));
  return out;
}

export interface KeyProvider {
  /** The named key at `version`, or at its latest version when omitted. */
  getKey(name: string, version?: number): Promise<KeyMaterial>;
  /** Every version of every key, without material. */
  list(): Promise<KeyInfo[]>;
}

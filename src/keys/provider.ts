// The key-provider interface: the local key store implements it today; a
// KMIP key manager can implement it later without touching its callers.

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
}

export interface KeyProvider {
  /** The named key at `version`, or at its latest version when omitted. */
  getKey(name: string, version?: number): Promise<KeyMaterial>;
  /** Every version of every key, without material. */
  list(): Promise<KeyInfo[]>;
}

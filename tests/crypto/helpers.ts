// Shared test material for tests/crypto: test-only keys, a key provider
// in memory, a seeded generator. Nothing here is ever a production key.
import type { KeyInfo, KeyMaterial, KeyProvider } from '../../src/keys/provider';
export { seededRandom } from '../helpers/random';

/** Test-only key material (32 bytes 0x00..0x1f); never used outside tests. */
export const TEST_ONLY_KEY_MATERIAL = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

/** Test-only file nonce for reproducible fixtures (16 bytes 0xa0..0xaf). */
export const TEST_ONLY_NONCE = Buffer.from(Array.from({ length: 16 }, (_, i) => 0xa0 + i));

/** A copy of the test-only key, named and versioned like a key store entry. */
export function testOnlyKey(name = 'test-only-key', version = 1): KeyMaterial {
  return { name, version, material: Buffer.from(TEST_ONLY_KEY_MATERIAL) };
}

/** A KeyProvider over fixed entries; hands out copies, as the interface asks. */
export function memoryProvider(entries: KeyMaterial[]): KeyProvider {
  return {
    async getKey(name: string, version?: number): Promise<KeyMaterial> {
      const found = entries.filter((k) => k.name === name && (version === undefined || k.version === version));
      if (found.length === 0) throw new Error(`test provider: no key ${name} version ${version}`);
      const key = found[found.length - 1];
      return { name: key.name, version: key.version, material: Buffer.from(key.material) };
    },
    async list(): Promise<KeyInfo[]> {
      return entries.map((k) => ({ name: k.name, version: k.version, created: '2026-01-01T00:00:00Z', algorithm: 'AES-256' }));
    },
  };
}

/** Deterministic non-zero-ish plaintext of `length` bytes. */
export function pattern(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}


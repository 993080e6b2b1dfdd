// A KeyProvider wrapper for one transform run: each key version is fetched
// once (a wrapped store pays scrypt only once) and handed out as copies.
import type { KeyInfo, KeyMaterial, KeyProvider } from '../keys/provider';

/** Caches key versions for the life of one run; dispose() zeroes them. */
export class CachingKeyProvider implements KeyProvider {
  private readonly cache = new Map<string, KeyMaterial>();

  constructor(private readonly inner: KeyProvider) {}

  async getKey(name: string, version?: number): Promise<KeyMaterial> {
    const id = `${name}:${version ?? 'latest'}`;
    let key = this.cache.get(id);
    if (!key) {
      key = await this.inner.getKey(name, version);
      this.cache.set(id, key);
      this.cache.set(`${name}:${key.version}`, key);
    }
    return { name: key.name, version: key.version, material: Buffer.from(key.material) };
  }

  list(): Promise<KeyInfo[]> {
    return this.inner.list();
  }

  /** Zero every cached version. */
  dispose(): void {
    for (const key of this.cache.values()) key.material.fill(0);
    this.cache.clear();
  }
}

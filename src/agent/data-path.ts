// The agent's data path state: the key store it serves crypt requests
// from, the cache of file ciphers (mirrored into the addon's cipher table,
// from which the channel answers the data requests of open files without
// the agent), and the flush of guard points before the agent lets go of
// the kernel.
import type { Config } from '../config/types';
import { MAC_SIZE } from '../crypto/constants';
import { optionalAddon, type NativeCipherTable } from '../kernel/native';
import type { CryptReply } from '../kernel/types';
import type { KeyMaterial, KeyProvider } from '../keys/provider';
import type { Logger } from '../log/logger';
import { CipherCache, DEFAULT_CIPHER_CACHE_SIZE, type CipherMirror } from './cipher-cache';
import { createCryptHandler, type CryptRequestHandler } from './crypt-handler';
import type { Mounter } from './guard-points';
import type { AuditSink, HandlerSnapshot } from './handler';
import { requiredKeys } from './keys-check';

type KeyOpener = (config: Config) => Promise<KeyProvider> | KeyProvider;

/** Keys and ciphers of a running agent; one per Agent. */
export class DataPath {
  readonly cache: CipherCache;
  private keys: KeyProvider | null = null;
  // Bumped at every reset of the key store and the cache.
  private epoch = 0;

  /** `table`: where the channel finds the keys of open files; null keeps every request in the agent. */
  constructor(
    private readonly openKeys: KeyOpener,
    private readonly log: Logger,
    readonly table: NativeCipherTable | null = openCipherTable(DEFAULT_CIPHER_CACHE_SIZE),
  ) {
    this.cache = new CipherCache(DEFAULT_CIPHER_CACHE_SIZE, table === null ? null : mirrorInto(table));
  }

  /** Open the key store the configuration names (none when no key rule names a key). */
  async open(config: Config): Promise<void> {
    const next = requiredKeys(config).size === 0 ? null : await this.openKeys(config);
    this.closeKeys();
    this.keys = next;
    // Cached ciphers were opened under the previous key store: a key
    // removed from the store must stop working at the reload. Headers
    // made ahead go with them (the table's pools are cleared too).
    this.epoch += 1;
    this.cache.clear();
  }

  /** The crypt handler, answering through `answer`. */
  handler(deps: {
    snapshot: () => HandlerSnapshot;
    answer: (reply: CryptReply) => void | Promise<void>;
    audit: AuditSink;
    procRoot: string;
  }): CryptRequestHandler {
    const table = this.table;
    return createCryptHandler({
      ...deps, keys: () => this.keys, cache: this.cache, logger: this.log,
      ...(table === null ? {} : {
        pool: table,
        // Only keys of the store in use: a fetch that outlived a reload is not kept.
        allowKey: (key: KeyMaterial, from: KeyProvider) => {
          if (from === this.keys) allowKeyIn(table, key);
        },
      }),
      epoch: () => this.epoch,
    });
  }

  /**
   * syncfs every guard point while the agent is still registered, so that
   * dirty pages are encrypted and written before the kernel loses its
   * agent. A failure is logged and the next guard point is flushed.
   */
  async flush(mounter: Mounter): Promise<void> {
    if (mounter.sync === undefined) return;
    for (const { path } of mounter.list()) {
      try {
        await mounter.sync(path);
        this.log.info('guard point flushed', { path });
      } catch (err) {
        this.log.warn('guard point flush failed', { path, error: (err as Error).message });
      }
    }
  }

  /** Dispose every cipher and close the key store. */
  close(): void {
    this.epoch += 1;
    this.cache.clear();
    this.closeKeys();
  }

  private closeKeys(): void {
    (this.keys as { close?: () => void } | null)?.close?.();
    this.keys = null;
  }
}

/** The addon's cipher table, or null when the addon is not built or predates it. */
export function openCipherTable(capacity: number): NativeCipherTable | null {
  const addon = optionalAddon<{ CipherTable: new (capacity: number) => NativeCipherTable }>(['CipherTable']);
  return addon === null ? null : new addon.CipherTable(capacity);
}

/**
 * A key version fetched from a store that reads files, handed to `table`:
 * the receive thread opens further headers of them itself, while the key
 * file is unchanged (CipherTable.allowKey). The cache's clear (reload,
 * stop) forgets them.
 */
function allowKeyIn(table: NativeCipherTable, key: KeyMaterial): void {
  if (key.source !== undefined) table.allowKey(key.name, key.version, key.material, key.source.path, key.source.stamp);
}

/** The cache's ciphers copied into `table` (which wipes its copies when they leave). */
export function mirrorInto(table: NativeCipherTable): CipherMirror {
  return {
    add: (header, cipher) => void cipher.withKeys((xtsKey, tailKey) => table.add(header, xtsKey, tailKey)),
    remove: (mac) => void table.remove(mac),
    clear: () => table.clear(),
    touched: () => {
      const macs = table.takeTouched();
      const out: Buffer[] = [];
      for (let off = 0; off + MAC_SIZE <= macs.length; off += MAC_SIZE) out.push(macs.subarray(off, off + MAC_SIZE));
      return out;
    },
  };
}

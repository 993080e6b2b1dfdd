// The local key store: one private file per named key, holding every version
// of its AES-256 material, optionally wrapped under a passphrase.
import { constants, lstatSync, promises as fsp, type BigIntStats } from 'fs';
import { randomBytes } from 'crypto';
import path from 'path';
import { createError } from '../errors';
import { nullLogger, type Logger } from '../log/logger';
import { writeFileAtomic } from './atomic-write';
import { decodeKeyFile, encodeKeyFile, MATERIAL_SIZE, type KeyEntry, type KeyFile } from './key-file';
import { withStoreLock } from './lock';
import { validateKeyName } from './names';
import { checkKeyFileStats, checkStoreDirectory, ensureStoreDirectory } from './permissions';
import { keyFileStamp, type KeyInfo, type KeyMaterial, type KeyProvider } from './provider';
import { deriveKek, newWrapParams, seal, unseal } from './wrap';

/** Default store directory, as `key_store.path` defaults in the configuration. */
export const DEFAULT_KEY_STORE = '/etc/takakrypt/keys';
const SUFFIX = '.key';

export interface LocalKeyStoreOptions {
  path: string;
  /** Passphrase for wrapped key files; new keys are wrapped when it is set. Zeroed by close(). */
  passphrase?: Buffer | null;
  logger?: Logger;
}

// A key file with buffers of its own (the decoded one views the read
// buffer, which the reader zeroes).
function copyKeyFile(file: KeyFile): KeyFile {
  return {
    ...file,
    entries: file.entries.map((e) => ({ ...e, iv: Buffer.from(e.iv), sealed: Buffer.from(e.sealed), tag: Buffer.from(e.tag) })),
  };
}

function info(name: string, entry: KeyEntry): KeyInfo {
  return { name, version: entry.version, created: new Date(entry.createdMs).toISOString(), algorithm: 'AES-256' };
}

/** KeyProvider over a directory of key files; see docs/KEYS.md. */
export class LocalKeyStore implements KeyProvider {
  readonly path: string;
  private readonly passphrase: Buffer | null;
  private readonly logger: Logger;
  private readonly keks = new Map<string, Buffer>();
  // Decoded key files by name, with the identity of the file each came
  // from. getKey serves every new encrypted file: while an lstat of the
  // key file still matches, it skips the open, read and decode. Any change
  // to the file (rotate writes a new one and renames it over) misses;
  // close() wipes them.
  private readonly files = new Map<string, { stamp: Buffer; file: KeyFile }>();

  private constructor(options: LocalKeyStoreOptions) {
    this.path = options.path;
    this.passphrase = options.passphrase ?? null;
    this.logger = options.logger ?? nullLogger();
  }

  /** Open an existing store after checking its directory is private. */
  static async open(options: LocalKeyStoreOptions): Promise<LocalKeyStore> {
    await checkStoreDirectory(options.path);
    return new LocalKeyStore(options);
  }

  /** Open a store, creating its directory (0700) when absent. */
  static async openOrCreate(options: LocalKeyStoreOptions): Promise<LocalKeyStore> {
    await ensureStoreDirectory(options.path);
    return new LocalKeyStore(options);
  }

  /** Forget cached wrapping keys and the passphrase. */
  close(): void {
    for (const kek of this.keks.values()) kek.fill(0);
    this.keks.clear();
    for (const name of [...this.files.keys()]) this.forget(name);
    this.passphrase?.fill(0);
  }

  async getKey(name: string, version?: number): Promise<KeyMaterial> {
    validateKeyName(name);
    const { file, stamp } = await this.cachedKeyFile(name);
    const entry = version === undefined ? latest(file) : file.entries.find((e) => e.version === version);
    if (!entry) {
      const have = file.entries.map((e) => e.version).join(', ');
      throw createError('KEYS_VERSION_NOT_FOUND', `key ${name}: expected version ${version} to exist, got versions ${have}`, { name, version });
    }
    return { name, version: entry.version, material: this.open(file, entry), source: { path: path.resolve(this.keyPath(name)), stamp: Buffer.from(stamp) } };
  }

  /** The decoded key file of `name` and its stamp: the cached copy while the file is unchanged, else read again. */
  private async cachedKeyFile(name: string): Promise<{ file: KeyFile; stamp: Buffer }> {
    const where = this.keyPath(name);
    const cached = this.files.get(name);
    if (cached !== undefined) {
      let stats: BigIntStats | undefined;
      try {
        stats = lstatSync(where, { bigint: true });
      } catch {
        stats = undefined;
      }
      if (stats?.isFile() && keyFileStamp(stats).equals(cached.stamp)) {
        checkKeyFileStats(where, stats);
        return cached;
      }
      this.forget(name);
    }
    const { file, data, stats } = await this.readKeyFile(name);
    try {
      const entry = { stamp: keyFileStamp(stats), file: copyKeyFile(file) };
      this.files.set(name, entry);
      return entry;
    } finally {
      data.fill(0);
    }
  }

  private forget(name: string): void {
    const cached = this.files.get(name);
    if (cached === undefined) return;
    for (const e of cached.file.entries) e.sealed.fill(0);
    this.files.delete(name);
  }

  async list(): Promise<KeyInfo[]> {
    const names = (await fsp.readdir(this.path))
      .filter((f) => f.endsWith(SUFFIX) && !f.startsWith('.'))
      .map((f) => f.slice(0, -SUFFIX.length))
      .sort();
    const out: KeyInfo[] = [];
    for (const name of names) {
      const { file, data } = await this.readKeyFile(name);
      out.push(...file.entries.map((e) => info(name, e)));
      data.fill(0);
    }
    return out;
  }

  /** Create key `name` at version 1 with fresh random material. */
  async createKey(name: string): Promise<KeyInfo> {
    validateKeyName(name);
    return withStoreLock(this.path, async () => {
      if (await this.exists(name)) {
        throw createError('KEYS_EXISTS', `key ${name}: expected a new name, got one that already exists in ${this.path}; use "keys rotate" for a new version`, { name });
      }
      const file: KeyFile = { name, wrap: this.passphrase ? newWrapParams() : null, entries: [] };
      const entry = this.addVersion(file, 1);
      await this.writeKeyFile(file);
      this.logger.info({ name, version: 1, wrapped: file.wrap !== null, message: 'key created' });
      return info(name, entry);
    });
  }

  /** Add the next version of key `name`; earlier versions stay readable. */
  async rotateKey(name: string): Promise<KeyInfo> {
    validateKeyName(name);
    return withStoreLock(this.path, async () => {
      const { file, data } = await this.readKeyFile(name);
      try {
        // Unwrapping the latest version first proves the passphrase is the
        // one the file uses, so the new version is sealed under the same KEK.
        this.open(file, latest(file)).fill(0);
        const entry = this.addVersion(file, latest(file).version + 1);
        await this.writeKeyFile(file);
        this.logger.info({ name, version: entry.version, message: 'key rotated' });
        return info(name, entry);
      } finally {
        data.fill(0);
      }
    });
  }

  private keyPath(name: string): string {
    return path.join(this.path, name + SUFFIX);
  }

  private async exists(name: string): Promise<boolean> {
    return fsp.lstat(this.keyPath(name)).then(() => true, () => false);
  }

  private async readKeyFile(name: string): Promise<{ file: KeyFile; data: Buffer; stats: BigIntStats }> {
    const where = this.keyPath(name);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(where, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw createError('KEYS_NOT_FOUND', `key ${name}: expected a key file ${where}, got none`, { name });
      if (code === 'ELOOP') throw createError('KEYS_STORE_INSECURE', `key file ${where}: expected a file, got a symbolic link; refusing to load it`, { path: where });
      throw err;
    }
    try {
      const stats = await handle.stat({ bigint: true });
      checkKeyFileStats(where, stats);
      const data = await handle.readFile();
      const file = decodeKeyFile(data, where);
      if (file.name !== name) {
        data.fill(0);
        throw createError('KEYS_FILE_CORRUPT', `key file ${where}: expected key name ${name}, got ${file.name}`, { path: where });
      }
      return { file, data, stats };
    } finally {
      await handle.close();
    }
  }

  private async writeKeyFile(file: KeyFile): Promise<void> {
    const data = encodeKeyFile(file);
    try {
      await writeFileAtomic(this.keyPath(file.name), data, 0o600);
    } catch (err) {
      throw createError('KEYS_WRITE_FAILED', `key file ${this.keyPath(file.name)}: expected to write it, got ${(err as Error).message}; the previous file is unchanged`, { path: this.keyPath(file.name) });
    } finally {
      data.fill(0);
    }
  }

  private addVersion(file: KeyFile, version: number): KeyEntry {
    const material = randomBytes(MATERIAL_SIZE);
    const createdMs = Date.now();
    let entry: KeyEntry;
    if (file.wrap) {
      entry = { version, createdMs, ...seal(this.kek(file), file.name, version, material) };
      material.fill(0);
    } else {
      entry = { version, createdMs, iv: Buffer.alloc(12), sealed: material, tag: Buffer.alloc(16) };
    }
    file.entries.push(entry);
    return entry;
  }

  private open(file: KeyFile, entry: KeyEntry): Buffer {
    if (!file.wrap) return Buffer.from(entry.sealed);
    return unseal(this.kek(file), file.name, entry.version, entry.iv, entry.sealed, entry.tag, this.keyPath(file.name));
  }

  private kek(file: KeyFile): Buffer {
    const wrap = file.wrap!;
    if (!this.passphrase) {
      throw createError('KEYS_PASSPHRASE_REQUIRED', `key file ${this.keyPath(file.name)}: expected a passphrase (--passphrase-file or TAKAKRYPT_KEYSTORE_PASSPHRASE) for this wrapped key, got none`, { name: file.name });
    }
    const id = `${wrap.log2N}/${wrap.r}/${wrap.p}/${wrap.salt.toString('hex')}`;
    let kek = this.keks.get(id);
    if (!kek) {
      kek = deriveKek(this.passphrase, wrap);
      this.keks.set(id, kek);
    }
    return kek;
  }
}

function latest(file: KeyFile): KeyEntry {
  return file.entries.reduce((a, b) => (b.version > a.version ? b : a));
}

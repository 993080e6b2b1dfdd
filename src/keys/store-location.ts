// Finding and opening the key store from command-line options: --store DIR
// wins, else key_store.path of the configuration file, else the default.
import { existsSync, readFileSync } from 'fs';
import { parse } from 'yaml';
import { createError } from '../errors';
import { DEFAULT_KEY_STORE, LocalKeyStore } from './local-store';
import { resolvePassphrase } from './passphrase';

/** Default configuration file, consulted when neither --store nor --config is given. */
export const DEFAULT_CONFIG_FILE = '/etc/takakrypt/config.yaml';

export interface StoreOptions {
  store?: string;
  config?: string;
  passphraseFile?: string;
}

// Only key_store.path is read here, so that key administration works while
// the rest of the configuration is being written; `config validate` checks all.
function storePathFromConfig(file: string): string {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw createError('KEYS_STORE_MISSING', `configuration ${file}: expected readable YAML to find key_store.path, got ${(err as Error).message}`, { path: file });
  }
  const keyStore = (doc as { key_store?: { path?: unknown } } | null)?.key_store;
  const value = keyStore?.path;
  if (value === undefined) return DEFAULT_KEY_STORE;
  if (typeof value !== 'string' || !value.startsWith('/')) {
    throw createError('KEYS_STORE_MISSING', `configuration ${file}: expected key_store.path to be an absolute path, got ${JSON.stringify(value)}`, { path: file });
  }
  return value;
}

/** The key store directory the options designate. */
export function resolveStorePath(options: StoreOptions): string {
  if (options.store) return options.store;
  if (options.config) return storePathFromConfig(options.config);
  return existsSync(DEFAULT_CONFIG_FILE) ? storePathFromConfig(DEFAULT_CONFIG_FILE) : DEFAULT_KEY_STORE;
}

/** Open the designated store (creating its directory when `create`), with the passphrase if any. */
export async function openStore(options: StoreOptions, create = false): Promise<LocalKeyStore> {
  const path = resolveStorePath(options);
  const passphrase = await resolvePassphrase(options.passphraseFile);
  const open = create ? LocalKeyStore.openOrCreate : LocalKeyStore.open;
  try {
    return await open({ path, passphrase });
  } catch (err) {
    passphrase?.fill(0);
    throw err;
  }
}

// `takakrypt-agent keys create|list|rotate`: administration of the local key
// store. Key material is never printed, only names, versions and times.
import type { Argv, CommandModule } from 'yargs';
import type { KeyInfo } from '../../keys/provider';
import { openStore, type StoreOptions } from '../../keys/store-location';
import type { LocalKeyStore } from '../../keys/local-store';

interface KeysArgs extends StoreOptions {
  name?: string;
  json?: boolean;
}

/** --store, --config and --passphrase-file, shared with `transform`. */
export function withStoreOptions<T>(yargs: Argv<T>): Argv<T> {
  return yargs
    .option('store', { type: 'string', describe: 'key store directory (overrides the configuration)' })
    .option('config', { type: 'string', describe: 'configuration file whose key_store.path names the store' })
    .option('passphrase-file', { type: 'string', describe: 'file holding the passphrase of wrapped key files' })
    .conflicts('store', 'config') as Argv<T>;
}

async function withStore<R>(args: KeysArgs, create: boolean, fn: (store: LocalKeyStore) => Promise<R>): Promise<R> {
  const store = await openStore(args, create);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

function printInfo(verb: string, key: KeyInfo, store: string, json: boolean | undefined): void {
  if (json) process.stdout.write(JSON.stringify(key) + '\n');
  else process.stdout.write(`${verb} key ${key.name} version ${key.version} (${key.algorithm}, ${key.created}) in ${store}\n`);
}

function printList(keys: KeyInfo[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify(keys, null, 2) + '\n');
    return;
  }
  const width = Math.max(4, ...keys.map((k) => k.name.length));
  const lines = [`${'NAME'.padEnd(width)}  VERSION  ALGORITHM  CREATED`];
  for (const k of keys) lines.push(`${k.name.padEnd(width)}  ${String(k.version).padStart(7)}  ${k.algorithm.padEnd(9)}  ${k.created}`);
  process.stdout.write(lines.join('\n') + '\n');
}

const create: CommandModule<StoreOptions, KeysArgs> = {
  command: 'create <name>',
  describe: 'create a new AES-256 key (version 1)',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
  handler: (args) => withStore(args, true, async (store) => printInfo('created', await store.createKey(args.name!), store.path, args.json)),
};

const rotate: CommandModule<StoreOptions, KeysArgs> = {
  command: 'rotate <name>',
  describe: 'add a new version of a key; earlier versions stay readable',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
  handler: (args) => withStore(args, false, async (store) => printInfo('rotated', await store.rotateKey(args.name!), store.path, args.json)),
};

const list: CommandModule<StoreOptions, KeysArgs> = {
  command: 'list',
  describe: 'list every key version: name, version, creation time (never material)',
  builder: (y) => y.option('json', { type: 'boolean', describe: 'print a JSON array' }),
  handler: (args) => withStore(args, false, async (store) => printList(await store.list(), args.json)),
};

/** The `keys` command group. */
export const keysCommand: CommandModule<object, StoreOptions> = {
  command: 'keys',
  describe: 'manage the local key store',
  builder: (y) => withStoreOptions(y).command(create).command(rotate).command(list).demandCommand(1, 'Expected a keys command: create, list or rotate.'),
  handler: () => undefined,
};

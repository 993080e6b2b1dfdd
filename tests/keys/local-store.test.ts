import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'fs';
import path from 'path';
import { isTakakryptError } from '../../src/errors';
import { LocalKeyStore } from '../../src/keys/local-store';
import { KEY_FILE_STAMP_SIZE, keyFileStamp } from '../../src/keys/provider';
import { tempDir } from './helpers';

let root: { dir: string; cleanup: () => void };
beforeEach(() => { root = tempDir('tk-keys-'); });
afterEach(() => root.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return isTakakryptError(err) ? err.code : `OTHER ${(err as Error).message}`;
  }
}

async function newStore(passphrase?: string): Promise<LocalKeyStore> {
  return LocalKeyStore.openOrCreate({ path: path.join(root.dir, 'ks'), passphrase: passphrase ? Buffer.from(passphrase) : null });
}

describe('permissions', () => {
  test.each([
    [0o755, 'mode 0755'],
    [0o750, 'mode 0750'],
    [0o701, 'mode 0701'],
    [0o770, 'mode 0770'],
  ])('refuses a store directory with mode %o', async (mode, found) => {
    const dir = path.join(root.dir, 'ks');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, mode);
    await expect(LocalKeyStore.open({ path: dir })).rejects.toMatchObject({
      code: 'KEYS_STORE_INSECURE',
      message: `key store directory ${dir}: expected mode 0700 owned by uid 0, got ${found} owned by uid 0; refusing to use it`,
    });
  });

  test('refuses a store directory owned by another user', async () => {
    const dir = path.join(root.dir, 'ks');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 1234, 0);
    await expect(LocalKeyStore.open({ path: dir })).rejects.toMatchObject({
      code: 'KEYS_STORE_INSECURE',
      message: `key store directory ${dir}: expected mode 0700 owned by uid 0, got mode 0700 owned by uid 1234; refusing to use it`,
    });
  });

  test('reports a missing store', async () => {
    const dir = path.join(root.dir, 'absent');
    await expect(codeOf(LocalKeyStore.open({ path: dir }))).resolves.toBe('KEYS_STORE_MISSING');
  });

  test.each([
    [0o644, 'mode 0644'],
    [0o640, 'mode 0640'],
    [0o604, 'mode 0604'],
  ])('refuses a key file with mode %o', async (mode, found) => {
    const store = await newStore();
    await store.createKey('docs');
    const file = path.join(store.path, 'docs.key');
    chmodSync(file, mode);
    const expected = `key file ${file}: expected mode 0600 owned by uid 0, got ${found} owned by uid 0; refusing to load it`;
    await expect(store.getKey('docs')).rejects.toMatchObject({ code: 'KEYS_STORE_INSECURE', message: expected });
    await expect(store.list()).rejects.toMatchObject({ code: 'KEYS_STORE_INSECURE', message: expected });
  });

  test('refuses a key file that is a symbolic link', async () => {
    const store = await newStore();
    writeFileSync(path.join(root.dir, 'elsewhere'), 'x', { mode: 0o600 });
    symlinkSync(path.join(root.dir, 'elsewhere'), path.join(store.path, 'docs.key'));
    await expect(codeOf(store.getKey('docs'))).resolves.toBe('KEYS_STORE_INSECURE');
  });

  test('creates the directory 0700 and key files 0600', async () => {
    const store = await newStore();
    await store.createKey('docs');
    const { statSync } = await import('fs');
    expect(statSync(store.path).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(store.path, 'docs.key')).mode & 0o777).toBe(0o600);
  });
});

describe('create, rotate, list, getKey', () => {
  test('versions are distinct, old versions stay readable', async () => {
    const store = await newStore();
    const v1 = await store.createKey('docs');
    const first = await store.getKey('docs');
    const v2 = await store.rotateKey('docs');
    const latest = await store.getKey('docs');
    const old = await store.getKey('docs', 1);
    expect([v1.version, v2.version, first.version, latest.version, old.version]).toEqual([1, 2, 1, 2, 1]);
    expect(first.material.length).toBe(32);
    expect(old.material.equals(first.material)).toBe(true);
    expect(latest.material.equals(first.material)).toBe(false);
    expect(await store.list()).toEqual([
      { name: 'docs', version: 1, created: v1.created, algorithm: 'AES-256' },
      { name: 'docs', version: 2, created: v2.created, algorithm: 'AES-256' },
    ]);
  });

  test.each([
    ['creating an existing key', async (s: LocalKeyStore) => { await s.createKey('a'); await s.createKey('a'); }, 'KEYS_EXISTS'],
    ['rotating a missing key', (s: LocalKeyStore) => s.rotateKey('nope'), 'KEYS_NOT_FOUND'],
    ['reading a missing key', (s: LocalKeyStore) => s.getKey('nope'), 'KEYS_NOT_FOUND'],
    ['reading a missing version', async (s: LocalKeyStore) => { await s.createKey('a'); await s.getKey('a', 3); }, 'KEYS_VERSION_NOT_FOUND'],
    ['creating clear_key', (s: LocalKeyStore) => s.createKey('clear_key'), 'KEYS_NAME_RESERVED'],
    ['reading a bad name', (s: LocalKeyStore) => s.getKey('../x'), 'KEYS_NAME_INVALID'],
  ])('%s fails with %s', async (_what, action, code) => {
    const store = await newStore();
    await expect(codeOf(action(store))).resolves.toBe(code);
  });

  test.each([
    ['truncated', (d: Buffer) => d.subarray(0, d.length - 1)],
    ['bit flipped', (d: Buffer) => { const c = Buffer.from(d); c[140] ^= 1; return c; }],
    ['wrong magic', (d: Buffer) => { const c = Buffer.from(d); c[0] = 0x41; return c; }],
  ])('a %s key file is reported corrupt', async (_what, damage) => {
    const store = await newStore();
    await store.createKey('docs');
    const file = path.join(store.path, 'docs.key');
    writeFileSync(file, damage(readFileSync(file)), { mode: 0o600 });
    await expect(codeOf(store.getKey('docs'))).resolves.toBe('KEYS_FILE_CORRUPT');
  });

  test('a key file renamed to another name is refused', async () => {
    const store = await newStore();
    await store.createKey('docs');
    const { renameSync } = await import('fs');
    renameSync(path.join(store.path, 'docs.key'), path.join(store.path, 'other.key'));
    await expect(store.getKey('other')).rejects.toMatchObject({
      code: 'KEYS_FILE_CORRUPT',
      message: `key file ${path.join(store.path, 'other.key')}: expected key name other, got docs`,
    });
  });

  test('a temporary file left by a killed write and other files are not keys', async () => {
    const store = await newStore();
    await store.createKey('docs');
    writeFileSync(path.join(store.path, '.docs.key.tmp-123-abcd'), 'half written', { mode: 0o600 });
    writeFileSync(path.join(store.path, 'README'), 'notes', { mode: 0o600 });
    expect((await store.list()).map((k) => `${k.name}:${k.version}`)).toEqual(['docs:1']);
  });

  test('a live lock holder makes writers fail, a dead one is taken over', async () => {
    const store = await newStore();
    writeFileSync(path.join(store.path, '.lock'), `${process.pid}\n`);
    await expect(codeOf(store.createKey('a'))).resolves.toBe('KEYS_STORE_LOCKED');
    writeFileSync(path.join(store.path, '.lock'), '999999999\n');
    await expect(store.createKey('a')).resolves.toMatchObject({ name: 'a', version: 1 });
  });
});

describe('passphrase wrapping', () => {
  test('wrapped keys need the right passphrase and list without it', async () => {
    const store = await newStore('correct horse');
    await store.createKey('w');
    await store.rotateKey('w');
    const v1 = await store.getKey('w', 1);
    const raw = readFileSync(path.join(store.path, 'w.key'));
    expect(raw.includes(v1.material)).toBe(false);

    const noPass = await LocalKeyStore.open({ path: store.path });
    expect((await noPass.list()).map((k) => k.version)).toEqual([1, 2]);
    await expect(codeOf(noPass.getKey('w'))).resolves.toBe('KEYS_PASSPHRASE_REQUIRED');
    await expect(codeOf(noPass.rotateKey('w'))).resolves.toBe('KEYS_PASSPHRASE_REQUIRED');

    const wrong = await LocalKeyStore.open({ path: store.path, passphrase: Buffer.from('wrong') });
    await expect(codeOf(wrong.getKey('w', 1))).resolves.toBe('KEYS_PASSPHRASE_WRONG');
    await expect(codeOf(wrong.rotateKey('w'))).resolves.toBe('KEYS_PASSPHRASE_WRONG');

    const again = await LocalKeyStore.open({ path: store.path, passphrase: Buffer.from('correct horse') });
    expect((await again.getKey('w', 1)).material.equals(v1.material)).toBe(true);
  });

  test('an unwrapped key file holds the material in the clear (root-only file)', async () => {
    const store = await newStore();
    await store.createKey('plain');
    const key = await store.getKey('plain');
    expect(readFileSync(path.join(store.path, 'plain.key')).includes(key.material)).toBe(true);
  });

  test('close() zeroes the passphrase it was given', async () => {
    const passphrase = Buffer.from('secret words');
    const store = await LocalKeyStore.openOrCreate({ path: path.join(root.dir, 'ks'), passphrase });
    store.close();
    expect(passphrase.every((b) => b === 0)).toBe(true);
  });
});

describe('getKey keeps the decoded key file while the file is unchanged', () => {
  const keyFile = () => path.join(root.dir, 'ks', 'k1.key');

  test('a rotation made by another store instance is seen at once', async () => {
    const store = await newStore();
    await store.createKey('k1');
    const v1 = await store.getKey('k1');
    await (await newStore()).rotateKey('k1');
    const latest = await store.getKey('k1');
    expect([v1.version, latest.version, latest.material.equals(v1.material)]).toEqual([1, 2, false]);
    expect((await store.getKey('k1', 1)).material.equals(v1.material)).toBe(true);
  });

  test('a key file removed, replaced by garbage or opened to others is noticed', async () => {
    const store = await newStore();
    await store.createKey('k1');
    await store.getKey('k1');
    chmodSync(keyFile(), 0o644);
    expect(await codeOf(store.getKey('k1'))).toBe('KEYS_STORE_INSECURE');
    chmodSync(keyFile(), 0o600);
    const good = readFileSync(keyFile());
    writeFileSync(keyFile(), Buffer.from('not a key file at all'), { mode: 0o600 });
    expect(await codeOf(store.getKey('k1'))).toBe('KEYS_FILE_CORRUPT');
    writeFileSync(keyFile(), good, { mode: 0o600 });
    expect((await store.getKey('k1')).version).toBe(1);
    const { unlinkSync } = await import('fs');
    unlinkSync(keyFile());
    expect(await codeOf(store.getKey('k1'))).toBe('KEYS_NOT_FOUND');
  });

  test('each key names its file and the file\'s stamp then; a rotation changes the stamp', async () => {
    const store = await newStore();
    await store.createKey('k1');
    const v1 = await store.getKey('k1');
    expect(v1.source).toEqual({ path: keyFile(), stamp: keyFileStamp(lstatSync(keyFile(), { bigint: true })) });
    expect(v1.source?.stamp.length).toBe(KEY_FILE_STAMP_SIZE);
    const again = await store.getKey('k1', 1);
    expect(again.source?.stamp.equals(v1.source?.stamp as Buffer)).toBe(true);
    await (await newStore()).rotateKey('k1');
    const after = await store.getKey('k1', 1);
    expect(after.material.equals(v1.material)).toBe(true);
    expect(after.source?.stamp.equals(v1.source?.stamp as Buffer)).toBe(false);
    expect(after.source?.stamp).toEqual(keyFileStamp(lstatSync(keyFile(), { bigint: true })));
  });

  test('touching the file (same inode, size and contents) changes the stamp', async () => {
    const store = await newStore();
    await store.createKey('k1');
    const before = await store.getKey('k1');
    const st = lstatSync(keyFile(), { bigint: true });
    utimesSync(keyFile(), new Date(Number(st.atimeMs)), new Date(Number(st.mtimeMs) + 1000));
    const after = await store.getKey('k1');
    expect(after.source?.stamp.equals(before.source?.stamp as Buffer)).toBe(false);
    expect(after.source?.stamp).toEqual(keyFileStamp(lstatSync(keyFile(), { bigint: true })));
  });

  test('material handed out is a copy: zeroing it does not change the next getKey', async () => {
    const store = await newStore();
    await store.createKey('k1');
    const first = await store.getKey('k1');
    const bytes = Buffer.from(first.material);
    first.material.fill(0);
    expect((await store.getKey('k1')).material.equals(bytes)).toBe(true);
  });

  test('wrapped keys too, and close() forgets them', async () => {
    const store = await newStore('correct horse');
    await store.createKey('k1');
    const a = await store.getKey('k1');
    const b = await store.getKey('k1');
    expect(a.material.equals(b.material)).toBe(true);
    store.close();
    // close() zeroed the passphrase: nothing cached serves the key any more.
    expect(await codeOf(store.getKey('k1'))).toBe('KEYS_PASSPHRASE_WRONG');
  });
});

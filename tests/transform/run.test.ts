import { execFileSync } from 'child_process';
import { appendFileSync, chownSync, copyFileSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'fs';
import path from 'path';
import { isTakakryptError } from '../../src/errors';
import type { KeyProvider } from '../../src/keys/provider';
import { runTransform, type TransformOptions } from '../../src/transform/run';
import { allocatedBlocks, buildTree, checksums, inodeCount, linksIntact, listFiles, sha256 } from './tree';
import { decryptedContents, hasHeader, makeFixture, type Fixture } from './helpers';

let fx: Fixture;
beforeEach(async () => {
  fx = await makeFixture('tk-transform-');
  buildTree(fx.data, 7, 6, 70000);
});
afterEach(() => fx.cleanup());

function run(mode: TransformOptions['mode'], extra: Partial<TransformOptions> = {}) {
  const key = mode === 'decrypt' ? undefined : { name: 'k' };
  return runTransform({ root: fx.data, mode, key, provider: fx.store, mountsFile: fx.mounts, ...extra });
}

test('encrypt, rekey and decrypt round-trip every file, and each form is what it claims', async () => {
  const original = checksums(fx.data);
  const encrypted = await run('encrypt');
  expect([encrypted.transformed, encrypted.done, encrypted.failed]).toEqual([inodeCount(fx.data), 0, []]);
  for (const rel of listFiles(fx.data)) {
    const file = path.join(fx.data, rel);
    expect([rel, hasHeader(file), statSync(file).size]).toEqual([rel, true, 4096 + (await decryptedContents(file, fx.store)).length]);
    expect([rel, sha256(await decryptedContents(file, fx.store))]).toEqual([rel, original[rel]]);
  }
  await fx.store.rotateKey('k');
  const rekeyed = await run('rekey');
  expect([rekeyed.transformed, rekeyed.target]).toEqual([inodeCount(fx.data), { name: 'k', version: 2 }]);
  for (const rel of listFiles(fx.data)) {
    expect([rel, sha256(await decryptedContents(path.join(fx.data, rel), fx.store))]).toEqual([rel, original[rel]]);
  }
  const decrypted = await run('decrypt');
  expect(decrypted.transformed).toBe(inodeCount(fx.data));
  expect(checksums(fx.data)).toEqual(original);
  expect(linksIntact(fx.data)).toBe(true);
});

test('a second run finds everything done', async () => {
  await run('encrypt');
  const again = await run('encrypt');
  expect([again.transformed, again.done]).toEqual([0, inodeCount(fx.data)]);
  await run('decrypt');
  expect((await run('decrypt')).done).toBe(inodeCount(fx.data));
});

test('rekey to a named old version, and rekey of plaintext is refused per file', async () => {
  await fx.store.rotateKey('k');
  const plain = await run('rekey', { key: { name: 'k', version: 1 } });
  expect(plain.notConverted.length).toBe(inodeCount(fx.data));
  expect(plain.notConverted[0].why).toBe('expected an encrypted file to rekey, got plaintext; run "transform encrypt" first');
  await run('encrypt', { key: { name: 'k', version: 1 } });
  expect((await run('rekey', { key: { name: 'k', version: 1 } })).done).toBe(inodeCount(fx.data));
  expect((await run('rekey', { key: { name: 'k' } })).transformed).toBe(inodeCount(fx.data));
});

test('encrypt leaves files under another key alone and says so', async () => {
  await fx.store.createKey('other');
  await run('encrypt', { key: { name: 'other' } });
  const second = await run('encrypt');
  expect(second.notConverted[0].why).toBe('expected plaintext to encrypt, got a file encrypted under other:1; use "transform rekey" to change its key');
});

test('sparse files stay sparse and all-zero units become holes', async () => {
  const sparse = path.join(fx.data, 'sparse.img');
  const before = allocatedBlocks(sparse);
  await run('encrypt');
  expect(allocatedBlocks(sparse)).toBeLessThanOrEqual(before + 8 + 16);
  expect(allocatedBlocks(path.join(fx.data, 'sub', 'zeros'))).toBeLessThanOrEqual(8);
  await run('decrypt');
  expect(allocatedBlocks(sparse)).toBeLessThanOrEqual(before + 16);
});

test('owner, mode, times and extended attributes are kept', async () => {
  const file = path.join(fx.data, 'size-4096');
  chownSync(file, 1234, 2345);
  execFileSync('chmod', ['2751', file]);
  execFileSync('setfattr', ['-n', 'user.label', '-v', 'blue', file]);
  utimesSync(file, new Date('2001-02-03T04:05:06.789Z'), new Date('2002-03-04T05:06:07.891Z'));
  const before = lstatSync(file, { bigint: true });
  for (const mode of ['encrypt', 'decrypt'] as const) {
    await run(mode);
    const after = lstatSync(file, { bigint: true });
    expect([mode, after.uid, after.gid, after.mode, after.mtimeNs / 1000n, after.atimeNs / 1000n]).toEqual([mode, 1234n, 2345n, before.mode, before.mtimeNs / 1000n, before.atimeNs / 1000n]);
    expect(execFileSync('getfattr', ['--only-values', '-n', 'user.label', file], { encoding: 'utf8' })).toBe('blue');
  }
});

test('symlinks and special files are skipped; hard links are kept, or refused when a name is outside the tree', async () => {
  symlinkSync('size-12305', path.join(fx.data, 'link'));
  execFileSync('mkfifo', [path.join(fx.data, 'fifo')]);
  linkSync(path.join(fx.data, 'size-16'), path.join(fx.dir, 'outside-name'));
  const summary = await run('encrypt');
  expect(summary.skipped.map((s) => [path.basename(s.path), s.reason])).toEqual([['fifo', 'special'], ['link', 'symlink'], ['size-16', 'hard-link']]);
  expect(summary.skipped[2].detail).toMatch(/^expected every name of a hard-linked file under the tree, got 1 of its 2 names \(inode \d+; here: .*\/data\/size-16\); the others would keep the old form$/);
  expect(hasHeader(path.join(fx.data, 'size-16'))).toBe(false);
  expect(readFileSync(path.join(fx.data, 'link')).length).toBe(4096 + 12305);
  expect(linksIntact(fx.data)).toBe(true);
  expect(hasHeader(path.join(fx.data, 'sub', 'deeper', 'linked-3'))).toBe(true);
});

test('a link group left half moved by a killed run is joined again', async () => {
  const original = checksums(fx.data);
  // Make the state a kill between two renames leaves: sub/pair-b on the new
  // (encrypted) inode, sub/pair-a still on the old one, and the journal.
  const side = path.join(fx.dir, 'side');
  mkdirSync(side);
  copyFileSync(path.join(fx.data, 'sub', 'pair-b'), path.join(side, 'pair-b'));
  await runTransform({ root: side, mode: 'encrypt', key: { name: 'k' }, provider: fx.store, mountsFile: fx.mounts });
  renameSync(path.join(side, 'pair-b'), path.join(fx.data, 'sub', 'pair-b'));
  const names = [path.join(fx.data, 'sub', 'pair-a'), path.join(fx.data, 'sub', 'pair-b')];
  writeFileSync(path.join(fx.data, '.takakrypt-transform-links-42.json'), JSON.stringify({ mode: 'encrypt', target: { name: 'k', version: 1 }, names }));
  const summary = await run('encrypt');
  expect(summary.linkGroupsRejoined).toBe(1);
  expect(linksIntact(fx.data)).toBe(true);
  expect(readdirSync(fx.data).filter((f) => f.startsWith('.takakrypt-transform-'))).toEqual([]);
  for (const name of names) expect(sha256(await decryptedContents(name, fx.store))).toBe(original[path.relative(fx.data, name)]);
});

test('a file that changes during the run is reported and left in its old form', async () => {
  // The first file of sub/deeper is size-15; decrypting it makes the first
  // key request of the run, which happens after the file was opened.
  const root = path.join(fx.data, 'sub', 'deeper');
  const victim = path.join(root, 'size-15');
  await run('encrypt', { root });
  const encrypted = readFileSync(victim);
  let touched = false;
  const meddling: KeyProvider = {
    getKey: async (name, version) => {
      if (!touched) {
        touched = true;
        appendFileSync(victim, 'more');
      }
      return fx.store.getKey(name, version);
    },
    list: () => fx.store.list(),
  };
  const summary = await run('decrypt', { provider: meddling, root });
  expect(summary.changed.map((c) => path.basename(c.path))).toEqual(['size-15']);
  expect(summary.changed[0].why).toMatch(/^expected size 4111 and mtime \S+ to hold during the run, got size 4115 and mtime \S+; left in its old form$/);
  expect(readFileSync(victim).equals(Buffer.concat([encrypted, Buffer.from('more')]))).toBe(true);
  expect(summary.transformed).toBe(2);
});

test('leftover temporary files of a killed run are removed; dry run changes nothing', async () => {
  writeFileSync(path.join(fx.data, 'sub', '.takakrypt-transform-123.tmp'), 'half written');
  const original = checksums(fx.data);
  const dry = await run('encrypt', { dryRun: true });
  expect([dry.transformed, dry.leftoversRemoved]).toEqual([inodeCount(fx.data) - 1, 0]);
  expect(checksums(fx.data)).toEqual(original);
  const real = await run('encrypt');
  expect(real.leftoversRemoved).toBe(1);
  expect(listFiles(fx.data).some((f) => f.includes('.takakrypt-transform-'))).toBe(false);
});

test.each([
  ['at', ''],
  ['above', '/..'],
  ['below', '/sub'],
])('refuses a guard point mounted %s the directory', async (where, suffix) => {
  const mountPoint = path.normalize(fx.data + suffix);
  writeFileSync(fx.mounts, `/dev/vda / ext4 rw 0 0\n${mountPoint} ${mountPoint} takakryptfs rw,policy=p 0 0\n`);
  await expect(run('encrypt')).rejects.toMatchObject({
    code: 'TRANSFORM_GUARD_POINT_ACTIVE',
    message: `${fx.data}: expected no mounted guard point at, above or below it, got takakryptfs mounted on ${mountPoint} (${where}); stop the agent or unmount the guard point first`,
  });
});

test('the key store inside the tree is skipped; a tree inside the key store is refused', async () => {
  const summary = await runTransform({ root: fx.dir, mode: 'encrypt', key: { name: 'k' }, provider: fx.store, mountsFile: fx.mounts, protectedPaths: [fx.storePath] });
  expect(summary.skipped.filter((s) => s.reason === 'protected')).toEqual([{ path: fx.storePath, reason: 'protected', detail: 'the key store; never transformed' }]);
  expect(hasHeader(path.join(fx.storePath, 'k.key'))).toBe(false);
  expect((await fx.store.getKey('k')).material.length).toBe(32);
  await expect(runTransform({ root: fx.storePath, mode: 'decrypt', provider: fx.store, mountsFile: fx.mounts, protectedPaths: [fx.dir] })).rejects.toMatchObject({
    code: 'TRANSFORM_PROTECTED_PATH',
    message: `expected a directory outside the key store ${fx.dir}, got ${fx.storePath}`,
  });
});

test.each([
  ['a missing directory', { root: '/nonexistent/tk' }, 'TRANSFORM_NOT_DIRECTORY'],
  ['a missing key', { key: { name: 'absent' } }, 'KEYS_NOT_FOUND'],
  ['a missing key version', { key: { name: 'k', version: 9 } }, 'KEYS_VERSION_NOT_FOUND'],
])('fails early on %s', async (_what, extra, code) => {
  const err = await run('encrypt', extra as Partial<TransformOptions>).catch((e: unknown) => e);
  expect(isTakakryptError(err) ? err.code : err).toBe(code);
});

// A full disk stops the run without damaging the file being converted: a
// small tmpfs of our own stands in for the full filesystem.
import { execFileSync } from 'child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import path from 'path';
import { runTransform } from '../../src/transform/run';
import {  sha256 } from './tree';
import { decryptedContents, hasHeader, makeFixture, type Fixture } from './helpers';
import { seededRandom } from '../helpers/random';

let fx: Fixture;
let mounted = '';
beforeEach(async () => {
  fx = await makeFixture('tk-nospace-');
  mkdirSync(fx.data);
  // 64 pages of 4 KiB; the files below use 35, so the 130000-byte file
  // (32 pages, 33 with its header) cannot be rewritten beside itself.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tk-nospace', fx.data]);
  mounted = fx.data;
});
afterEach(() => {
  if (mounted) execFileSync('umount', [mounted]);
  mounted = '';
  fx.cleanup();
});

test('ENOSPC stops the run with TRANSFORM_NO_SPACE; every file keeps its old or new form', async () => {
  const rand = seededRandom(99);
  const content = (n: number) => Buffer.from(Array.from({ length: n }, () => (rand() * 256) | 0));
  const files: Record<string, Buffer> = { 'a-small': content(4000), 'b-large': content(130000), 'c-small': content(3000), 'd-small': content(100) };
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(fx.data, name), data);

  // One file at a time, so which files were converted before the stop is fixed.
  const summary = await runTransform({ root: fx.data, mode: 'encrypt', key: { name: 'k' }, provider: fx.store, mountsFile: fx.mounts, concurrency: 1 });

  expect(summary.failed.map((f) => [path.basename(f.path), f.code])).toEqual([['b-large', 'TRANSFORM_NO_SPACE']]);
  expect(summary.failed[0].message).toBe(`${path.join(fx.data, 'b-large')}: expected room for its new form, got ENOSPC; the file is unchanged`);
  expect(summary.stoppedBy).toBe(summary.failed[0].message);
  expect(summary.transformed).toBe(1);
  expect(readdirSync(fx.data).sort()).toEqual(Object.keys(files));
  expect(hasHeader(path.join(fx.data, 'a-small'))).toBe(true);
  expect(sha256(await decryptedContents(path.join(fx.data, 'a-small'), fx.store))).toBe(sha256(files['a-small']));
  for (const name of ['b-large', 'c-small', 'd-small']) {
    expect([name, sha256(readFileSync(path.join(fx.data, name)))]).toEqual([name, sha256(files[name])]);
  }
});

test('with several files in flight, ENOSPC still leaves every file whole and no temporary file', async () => {
  const rand = seededRandom(5);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 12; i++) files[`f${String(i).padStart(2, '0')}`] = Buffer.from(Array.from({ length: 2000 + i * 1500 }, () => (rand() * 256) | 0));
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(fx.data, name), data);
  const summary = await runTransform({ root: fx.data, mode: 'encrypt', key: { name: 'k' }, provider: fx.store, mountsFile: fx.mounts, concurrency: 8 });
  expect(summary.failed.length).toBeGreaterThan(0);
  expect(new Set(summary.failed.map((f) => f.code))).toEqual(new Set(['TRANSFORM_NO_SPACE']));
  expect(readdirSync(fx.data).sort()).toEqual(Object.keys(files));
  for (const [name, data] of Object.entries(files)) {
    const file = path.join(fx.data, name);
    const now = hasHeader(file) ? await decryptedContents(file, fx.store) : readFileSync(file);
    expect([name, sha256(now)]).toEqual([name, sha256(data)]);
  }
});

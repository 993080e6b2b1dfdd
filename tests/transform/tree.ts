// Test trees for the transform tool: files of awkward sizes (empty, shorter
// than an AES block, partial data units, sparse), built from a seeded PRNG.
import { createHash } from 'crypto';
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync, ftruncateSync } from 'fs';
import path from 'path';
import { seededRandom } from '../helpers/random';


function bytes(rand: () => number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** Sizes every tree has: around the AES block and the 4096-byte data unit. */
export const AWKWARD_SIZES = [0, 1, 15, 16, 17, 4095, 4096, 4097, 8192 + 100, 3 * 4096 + 17];

// A sparse file: data at a few offsets, holes elsewhere, and a hole at the end.
function writeSparse(file: string, rand: () => number, size: number): void {
  const fd = openSync(file, 'w', 0o644);
  ftruncateSync(fd, size);
  for (const at of [0, Math.floor(size / 3), size - 4096 * 4 - 5]) writeSync(fd, bytes(rand, 3000), 0, 3000, at);
  closeSync(fd);
}

function writeFileMode(file: string, data: Buffer): void {
  const fd = openSync(file, 'w', 0o644);
  writeSync(fd, data);
  closeSync(fd);
}

/** Groups of names that must share one inode, as buildTree makes them. */
export const LINK_GROUPS = [['linked', 'sub/linked-2', 'sub/deeper/linked-3'], ['sub/pair-a', 'sub/pair-b']];

/** True when each group of LINK_GROUPS still shares one inode under `root`. */
export function linksIntact(root: string): boolean {
  return LINK_GROUPS.every((group) => new Set(group.map((n) => statSync(path.join(root, n)).ino)).size === 1 && statSync(path.join(root, group[0])).nlink === group.length);
}

/** Build a tree under `root`; `extra` random files of up to `maxSize` bytes. */
export function buildTree(root: string, seed: number, extra: number, maxSize: number): void {
  const rand = seededRandom(seed);
  mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true });
  AWKWARD_SIZES.forEach((size, i) => {
    const dir = [root, path.join(root, 'sub'), path.join(root, 'sub', 'deeper')][i % 3];
    const fd = openSync(path.join(dir, `size-${size}`), 'w', 0o640);
    writeSync(fd, bytes(rand, size));
    closeSync(fd);
  });
  writeSparse(path.join(root, 'sparse.img'), rand, 3 * 1024 * 1024);
  const zeros = openSync(path.join(root, 'sub', 'zeros'), 'w');
  writeSync(zeros, Buffer.alloc(4096 * 3 + 10));
  closeSync(zeros);
  // Hard-linked files: three names across directories, and a pair in one.
  writeFileMode(path.join(root, 'linked'), bytes(rand, 9000));
  linkSync(path.join(root, 'linked'), path.join(root, 'sub', 'linked-2'));
  linkSync(path.join(root, 'linked'), path.join(root, 'sub', 'deeper', 'linked-3'));
  writeFileMode(path.join(root, 'sub', 'pair-a'), bytes(rand, 5000));
  linkSync(path.join(root, 'sub', 'pair-a'), path.join(root, 'sub', 'pair-b'));
  for (let i = 0; i < extra; i++) {
    const fd = openSync(path.join(root, i % 2 ? 'sub' : '.', `random-${i}`), 'w', 0o600);
    writeSync(fd, bytes(rand, Math.floor(rand() * maxSize)));
    closeSync(fd);
  }
}

/** Every regular file under `root` (relative path), sorted. */
export function listFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** Number of distinct inodes among the regular files under `root`: what a run converts. */
export function inodeCount(root: string): number {
  return new Set(listFiles(root).map((rel) => statSync(path.join(root, rel)).ino)).size;
}

/** SHA-256 of a buffer, hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** relative path -> SHA-256 of every regular file under `root`. */
export function checksums(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listFiles(root)) out[rel] = sha256(readFileSync(path.join(root, rel)));
  return out;
}

/** 512-byte blocks a file really occupies. */
export function allocatedBlocks(file: string): number {
  return statSync(file).blocks;
}

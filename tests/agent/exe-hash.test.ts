import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExeHasher } from '../../src/agent/exe-hash';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-exe-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('exe hasher', () => {
  test.each([
    ['relative path', 'bin/tool'],
    ['deleted executable', '/usr/bin/gone (deleted)'],
    ['no executable', ''],
  ])('%s gives null', async (_name, exe) => {
    expect(await createExeHasher().sha256(exe)).toBeNull();
  });

  test('a directory gives null', async () => {
    expect(await createExeHasher().sha256(dir)).toBeNull();
  });

  test('hashes the contents and caches by identity', async () => {
    const exe = join(dir, 'tool');
    writeFileSync(exe, 'version one');
    const hasher = createExeHasher();
    expect(await hasher.sha256(exe)).toBe(sha('version one'));
    expect(await hasher.sha256(exe)).toBe(sha('version one'));
    expect(hasher.size).toBe(1);
  });

  test('a replaced binary (new size and mtime) is hashed again', async () => {
    const exe = join(dir, 'tool');
    writeFileSync(exe, 'version one');
    const hasher = createExeHasher();
    await hasher.sha256(exe);
    writeFileSync(exe, 'version two, longer');
    utimesSync(exe, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(await hasher.sha256(exe)).toBe(sha('version two, longer'));
    expect(hasher.size).toBe(2);
  });

  test('the cache is bounded', async () => {
    const hasher = createExeHasher(2);
    for (const name of ['a', 'b', 'c']) {
      writeFileSync(join(dir, name), name);
      expect(await hasher.sha256(join(dir, name))).toBe(sha(name));
    }
    expect(hasher.size).toBe(2);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTakakryptError } from '../../src/errors';
import { syncfs } from '../../src/kernel/mount';

const dir = mkdtempSync(join(tmpdir(), 'tk-syncfs-'));
const file = join(dir, 'f');
writeFileSync(file, 'x');

async function outcome(path: string): Promise<unknown> {
  try {
    await syncfs(path);
    return 'flushed';
  } catch (err) {
    return isTakakryptError(err) ? [err.code, err.message] : err;
  }
}

test.each([
  ['a directory', dir, 'flushed'],
  ['a missing directory', join(dir, 'none'), ['KERNEL_SYNC_FAILED', `expected syncfs of ${join(dir, 'none')} to succeed, got ENOENT: No such file or directory`]],
  ['a file', file, ['KERNEL_SYNC_FAILED', `expected syncfs of ${file} to succeed, got ENOTDIR: Not a directory`]],
  ['a relative path', 'gp', ['KERNEL_INVALID_ARGUMENT', 'Expected the `path` option to be an absolute path, got "gp"']],
])('syncfs of %s', async (_name, path, expected) => {
  expect(await outcome(path)).toEqual(expected);
});

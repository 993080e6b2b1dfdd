import { isTakakryptError } from '../../src/errors';
import { mount, unmount } from '../../src/kernel/mount';
import { loadAddon, type NativeAddon } from '../../src/kernel/native';

const real = loadAddon();

// Records the raw calls instead of mounting anything.
function recorder(): { addon: NativeAddon; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const addon = {
    ...real,
    mount: async (...args: unknown[]) => void calls.push(['mount', ...args]),
    umount2: async (...args: unknown[]) => void calls.push(['umount2', ...args]),
  } as NativeAddon;
  return { addon, calls };
}

const F = real.mountFlags;

describe('flags', () => {
  test.each([
    [{}, 0, ''],
    [{ readOnly: true, data: 'policy=db' }, F.MS_RDONLY, 'policy=db'],
    [{ noSuid: true, noDev: true, noExec: true }, F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, ''],
    [{ readOnly: false }, 0, ''],
  ])('mount options %p', async (extra, flags, data) => {
    const { addon, calls } = recorder();
    await mount({ source: '/lower', target: '/gp', fstype: 'takakryptfs', ...extra }, addon);
    expect(calls).toEqual([['mount', '/lower', '/gp', 'takakryptfs', flags, data]]);
  });

  test.each([
    [{}, 0],
    [{ lazy: true }, F.MNT_DETACH],
    [{ force: true, noFollow: true }, F.MNT_FORCE | F.UMOUNT_NOFOLLOW],
  ])('unmount options %p', async (options, flags) => {
    const { addon, calls } = recorder();
    await unmount('/gp', options, addon);
    expect(calls).toEqual([['umount2', '/gp', flags]]);
  });
});

async function failure(run: () => Promise<unknown>): Promise<[string, string]> {
  try {
    await run();
  } catch (err) {
    if (isTakakryptError(err)) return [err.code, err.message];
    throw err;
  }
  return ['none', ''];
}

describe('errors', () => {
  test.each([
    [() => mount({ source: 'x', target: 'relative', fstype: 'tmpfs' }),
      'KERNEL_INVALID_ARGUMENT', 'Expected the `target` option to be an absolute path, got "relative"'],
    [() => mount({ source: 'x', target: '/t', fstype: '' }),
      'KERNEL_INVALID_ARGUMENT', 'Expected the `fstype` option to be a non-empty string without NUL bytes, got ""'],
    [() => mount({ source: 'x', target: '/t', fstype: 'tmpfs', readOnly: 'yes' } as never),
      'KERNEL_INVALID_ARGUMENT', 'Expected the `readOnly` option to be a boolean, got "yes"'],
    [() => unmount('/t', { lazy: 1 } as never),
      'KERNEL_INVALID_ARGUMENT', 'Expected the `lazy` option to be a boolean, got 1'],
    [() => mount({ source: 'none', target: '/nonexistent/takakrypt-test', fstype: 'tmpfs' }),
      'KERNEL_MOUNT_FAILED', 'expected mount of tmpfs none on /nonexistent/takakrypt-test to succeed, got ENOENT: No such file or directory'],
    [() => unmount('/nonexistent/takakrypt-test'),
      'KERNEL_UNMOUNT_FAILED', 'expected unmount of /nonexistent/takakrypt-test to succeed, got ENOENT: No such file or directory'],
  ])('%#', async (run, code, message) => {
    expect(await failure(run)).toEqual([code, message]);
  });
});

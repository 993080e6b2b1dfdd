// mount(2), umount2(2) and syncfs(2) for guard points, run off the JS
// thread by the addon. Flags are named, not numbers, so callers cannot
// pass stray bits.
import { syscallError } from './errors';
import { loadAddon, type NativeAddon } from './native';
import { checkAbsolutePath, checkBoolean, checkName, checkObject } from './validate';

export interface MountOptions {
  /** Device or directory mounted (for takakryptfs: the lower directory). */
  source: string;
  /** Absolute mount point. */
  target: string;
  /** Filesystem type, e.g. 'takakryptfs'. */
  fstype: string;
  /** Comma-separated filesystem options, e.g. 'policy=db'. */
  data?: string;
  readOnly?: boolean;
  noSuid?: boolean;
  noDev?: boolean;
  noExec?: boolean;
}

export interface UnmountOptions {
  /** MNT_DETACH: detach now, clean up when no longer busy. */
  lazy?: boolean;
  /** MNT_FORCE. */
  force?: boolean;
  /** UMOUNT_NOFOLLOW: do not follow a symbolic link at the target. */
  noFollow?: boolean;
}

function optionalFlag(options: Record<string, unknown>, name: string, bit: number): number {
  if (options[name] === undefined) return 0;
  return checkBoolean(name, options[name]) ? bit : 0;
}

/** Mount a filesystem; KERNEL_MOUNT_FAILED with the errno otherwise. */
export async function mount(options: MountOptions, addon: NativeAddon = loadAddon()): Promise<void> {
  const o = checkObject('options', options);
  const source = checkName('source', o.source);
  const target = checkAbsolutePath('target', o.target);
  const fstype = checkName('fstype', o.fstype);
  const data = o.data === undefined ? '' : checkName('data', o.data);
  const f = addon.mountFlags;
  const flags =
    optionalFlag(o, 'readOnly', f.MS_RDONLY) |
    optionalFlag(o, 'noSuid', f.MS_NOSUID) |
    optionalFlag(o, 'noDev', f.MS_NODEV) |
    optionalFlag(o, 'noExec', f.MS_NOEXEC);
  try {
    await addon.mount(source, target, fstype, flags >>> 0, data);
  } catch (err) {
    throw syscallError('KERNEL_MOUNT_FAILED', `mount of ${fstype} ${source} on ${target}`, err);
  }
}

/** Unmount `target`; KERNEL_UNMOUNT_FAILED with the errno otherwise (EBUSY when in use). */
export async function unmount(target: string, options: UnmountOptions = {}, addon: NativeAddon = loadAddon()): Promise<void> {
  const path = checkAbsolutePath('target', target);
  const o = checkObject('options', options);
  const f = addon.mountFlags;
  const flags =
    optionalFlag(o, 'lazy', f.MNT_DETACH) | optionalFlag(o, 'force', f.MNT_FORCE) | optionalFlag(o, 'noFollow', f.UMOUNT_NOFOLLOW);
  try {
    await addon.umount2(path, flags >>> 0);
  } catch (err) {
    throw syscallError('KERNEL_UNMOUNT_FAILED', `unmount of ${path}`, err);
  }
}

/** Write back the filesystem mounted at `path`; KERNEL_SYNC_FAILED with the errno otherwise. */
export async function syncfs(path: string, addon: NativeAddon = loadAddon()): Promise<void> {
  const target = checkAbsolutePath('path', path);
  try {
    await addon.syncfs(target);
  } catch (err) {
    throw syscallError('KERNEL_SYNC_FAILED', `syncfs of ${target}`, err);
  }
}

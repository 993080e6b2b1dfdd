// User and group look-ups through the system's NSS (files, LDAP, ...),
// run off the JS thread by the addon. Not found is null, not an error.
import { syscallError } from './errors';
import { loadAddon, type NativeAddon, type NativeGroup, type NativeUser } from './native';
import { checkName, checkUint32 } from './validate';

export type UserEntry = NativeUser;
export type GroupEntry = NativeGroup;

async function run<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw syscallError('KERNEL_NSS_FAILED', what, err);
  }
}

/** The passwd entry of `uid`, or null. */
export function userByUid(uid: number, addon: NativeAddon = loadAddon()): Promise<UserEntry | null> {
  const id = checkUint32('uid', uid);
  return run(`getpwuid_r(${id})`, () => addon.getpwuid(id));
}

/** The passwd entry named `name`, or null. */
export function userByName(name: string, addon: NativeAddon = loadAddon()): Promise<UserEntry | null> {
  const n = checkName('name', name);
  return run(`getpwnam_r(${JSON.stringify(n)})`, () => addon.getpwnam(n));
}

/** The group entry of `gid`, or null. */
export function groupByGid(gid: number, addon: NativeAddon = loadAddon()): Promise<GroupEntry | null> {
  const id = checkUint32('gid', gid);
  return run(`getgrgid_r(${id})`, () => addon.getgrgid(id));
}

/** The group entry named `name`, or null. */
export function groupByName(name: string, addon: NativeAddon = loadAddon()): Promise<GroupEntry | null> {
  const n = checkName('name', name);
  return run(`getgrnam_r(${JSON.stringify(n)})`, () => addon.getgrnam(n));
}

/** Every group id of user `name` (primary group `gid` included), as initgroups would set. */
export function groupList(name: string, gid: number, addon: NativeAddon = loadAddon()): Promise<number[]> {
  const n = checkName('name', name);
  const id = checkUint32('gid', gid);
  return run(`getgrouplist(${JSON.stringify(n)}, ${id})`, () => addon.getgrouplist(n, id));
}

// The kernel side of the agent over src/kernel/: the netlink channel,
// mount(2)/umount2(2) of guard points, and uid -> name through NSS.
import { isTakakryptError } from '../errors';
import { KernelChannel, mount, syncfs, unmount, userByUid } from '../kernel';
import type { Logger } from '../log/logger';
import type { AgentChannel } from './daemon';
import type { Mounter } from './guard-points';
import { GUARD_FS_TYPE, listGuardMounts } from './mounts';

/** Open the netlink channel; `onLost` is told when the socket itself fails. */
export function openKernelChannel(log: Logger, onLost: (why: string) => void): AgentChannel {
  const channel = KernelChannel.open({ logger: log });
  channel.onFault((fault) => {
    if (fault.fault === 'socket') onLost(`${fault.code}: ${fault.message}`);
  });
  return channel;
}

/** Guard point mounts through the addon; an unmount in use fails with code EBUSY. */
export const addonMounter: Mounter = {
  mount: (path, policy) => mount({ source: path, target: path, fstype: GUARD_FS_TYPE, data: `policy=${policy}` }),
  unmount: async (path) => {
    try {
      await unmount(path);
    } catch (err) {
      if (isTakakryptError(err) && err.details.errno === 'EBUSY') {
        throw Object.assign(new Error(err.message), { code: 'EBUSY' });
      }
      throw err;
    }
  },
  list: () => listGuardMounts(),
  sync: (path) => syncfs(path),
};

const MAX_NAMES = 4096;

/** uid -> user name through NSS off the JS thread, remembered (names rarely change). */
export function createUserNames(): (uid: number) => Promise<string | undefined> {
  const names = new Map<number, Promise<string | undefined>>();
  return (uid) => {
    let name = names.get(uid);
    if (name === undefined) {
      name = userByUid(uid).then((user) => user?.name, () => undefined);
      if (names.size >= MAX_NAMES) names.clear();
      names.set(uid, name);
    }
    return name;
  };
}

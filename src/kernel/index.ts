// The kernel wrapper the agent uses: the netlink channel, action names,
// NSS look-ups and mount(2). See native.ts for the addon underneath.
export { KernelChannel, type KernelChannelOptions, type QueryHandler, type FaultHandler, type CryptHandler } from './channel';
export { ACTION_NAMES, actionName, actionNumber } from './actions';
export { userByUid, userByName, groupByGid, groupByName, groupList, type UserEntry, type GroupEntry } from './nss';
export { mount, syncfs, unmount, type MountOptions, type UnmountOptions } from './mount';
export type { PolicyQuery, PolicyAnswer, CryptOp, CryptReason, CryptRequest, CryptReply } from './types';

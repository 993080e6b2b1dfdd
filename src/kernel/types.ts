// What the agent exchanges with the kernel module, as plain objects. The
// addon encodes and decodes these to the packed structs of the protocol
// header (kernel/include/uapi/takakrypt.h); src/kernel/ wraps the addon.
import type { FineAction } from '../config/types';

/** A policy request from the kernel: may this task do `action` on `path`? */
export interface PolicyQuery {
  /** Kernel-assigned request id, echoed in the answer. */
  id: number;
  /** Mount point of the guard point (absolute). */
  guardPoint: string;
  /** Path inside the guard point, starting with '/'. */
  path: string;
  isDirectory: boolean;
  action: FineAction;
  pid: number;
  uid: number;
  gid: number;
  groups: number[];
  /** Executable path from the task's exe file; '' when the kernel has none. */
  exe: string;
  /** Inode number of the object, as a decimal string (64-bit). */
  inode: string;
  /** The guard point's policy= mount option, when the kernel sends it. */
  policyName?: string;
  /** Policy generation the kernel had when it asked. */
  generation?: bigint;
}

/** The agent's answer to a PolicyQuery. */
export interface PolicyAnswer {
  id: number;
  permit: boolean;
  applyKey: boolean;
  audit: boolean;
  /** How long the kernel may cache this decision; 0 = do not cache. */
  cacheTtlMs: number;
}

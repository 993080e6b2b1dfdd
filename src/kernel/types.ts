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
  /** The decision holds for every object of the guard point (PolicyDecision.anyObject); absent = false. */
  anyObject?: boolean;
}

/** What the kernel asks of the data path (enum takakrypt_crypt_op). */
export type CryptOp = 'NEW_HEADER' | 'OPEN_HEADER' | 'ENCRYPT' | 'DECRYPT';

/** Why a crypt request failed (enum takakrypt_crypt_reason); NONE on success. */
export type CryptReason =
  | 'NONE' | 'NOT_ENCRYPTED' | 'HEADER_INVALID' | 'HEADER_TAMPERED'
  | 'KEY_MISSING' | 'NO_KEY_RULE' | 'BAD_REQUEST' | 'INTERNAL';

/** A data-path request from the kernel: make or check a header, or transform data units. */
export interface CryptRequest {
  id: number;
  op: CryptOp;
  /** Task that caused it; 0 for writeback. */
  pid: number;
  uid: number;
  /** Lower inode number, as a decimal string (64-bit). */
  inode: string;
  /** Index of the first data unit in the file (ENCRYPT, DECRYPT). */
  firstUnit: number;
  /** OPEN_HEADER: bytes of header the lower file has; ENCRYPT/DECRYPT: bytes of data. */
  length: number;
  /** The 4096-byte file header (OPEN_HEADER, ENCRYPT, DECRYPT). */
  header?: Buffer;
  /** The data units, concatenated: every one 4096 bytes but the last (ENCRYPT, DECRYPT). */
  data?: Buffer;
  /** Set when the addon served the request and OpenSSL failed part-way; the request must fail. */
  failure?: string;
  guardPoint: string;
  /** Path inside the guard point; '' when the kernel has none (writeback). */
  path: string;
  /** The guard point's policy= mount option. */
  policyName: string;
}

/** The agent's answer to a CryptRequest. */
export interface CryptReply {
  id: number;
  /** 0, or a negative errno (the kernel fails the operation). */
  status: number;
  reason: CryptReason;
  /** NEW_HEADER: the new file's header. */
  header?: Buffer;
  /** ENCRYPT, DECRYPT: the transformed units, same length as the request's. */
  data?: Buffer;
}

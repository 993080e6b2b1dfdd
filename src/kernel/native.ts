// Loads the native addon (addon/, built by `npm ci`) and describes what it
// exports. Everything here is raw: src/kernel/ validates and maps errors.
import { join } from 'node:path';
import { createError } from '../errors';

/** A POLICY_REQ as the addon decodes it (numbers as on the wire). */
export interface NativeRequest {
  requestId: number;
  pid: number;
  uid: number;
  gid: number;
  action: number;
  flags: number;
  inode: bigint;
  generation: bigint;
  groups: number[];
  exe: string;
  guardPoint: string;
  path: string;
  policyName: string;
}

/** A CRYPT_REQ as the addon decodes it; `data` is the units concatenated. */
export interface NativeCryptRequest {
  requestId: number;
  op: number;
  pid: number;
  uid: number;
  inode: bigint;
  /** At most 2^53 - 1 (the addon refuses larger ones). */
  firstUnit: number;
  length: number;
  /** The 4096-byte file header, when the op carries one. */
  header?: Buffer;
  /** Exactly `length` bytes (ENCRYPT, DECRYPT). */
  data?: Buffer;
  /** Set when the addon answered the request itself and OpenSSL failed part-way: fail it. */
  failure?: string;
  guardPoint: string;
  /** '' when the kernel sent none (writeback). */
  path: string;
  policyName: string;
}

/** A CRYPT_REPLY; the addon sends `header` and `data` without copying them. */
export interface NativeCryptReply {
  requestId: number;
  /** 0 or a negative errno. */
  status: number;
  reason: number;
  header?: Buffer;
  data?: Buffer;
}

/** The fixed part of a CRYPT_REQ, as encoded and decoded for tests. */
export interface NativeCryptReq {
  requestId: number;
  op: number;
  pid: number;
  uid: number;
  inode: bigint;
  firstUnit: bigint;
  length: number;
  reserved: number;
}

/** Something that went wrong on the receive side. */
export interface NativeFault {
  /** rejected: the kernel refused a reply (an unknown or expired request id, a malformed reply). */
  fault: 'malformed' | 'overrun' | 'socket' | 'rejected';
  code: string;
  message: string;
  /** Set when a malformed request still had a readable id. */
  requestId?: number;
  /** Which kind of request `requestId` belongs to. */
  command?: 'POLICY_REQ' | 'CRYPT_REQ';
}

export interface NativeRegister {
  protocolVersion: number;
  agentPid: number;
  flags: number;
  reserved: number;
}

export interface NativeGeneration {
  generation: bigint;
  maxCacheTtlMs: number;
  reserved: number;
}

export interface NativeReply {
  requestId: number;
  verdict: number;
  flags: number;
  cacheTtlMs: number;
}

/** The fixed part of a POLICY_REQ, as encoded and decoded for tests. */
export interface NativePolicyReq {
  requestId: number;
  pid: number;
  uid: number;
  gid: number;
  action: number;
  flags: number;
  ngroups: number;
  reserved: number;
  inode: bigint;
  generation: bigint;
}

/**
 * File header -> content keys of files the agent opened, shared with the
 * channel's receive thread, which answers their ENCRYPT and DECRYPT
 * requests itself (addon/src/data_path.h).
 */
export interface NativeCipherTable {
  readonly size: number;
  readonly capacity: number;
  /** False when the header's reserved area is not zero (not served by the addon) or the table is full. */
  add(header: Buffer, xtsKey: Buffer, tailKey: Buffer): boolean;
  /** Drop the entry whose header has this 32-byte MAC. */
  remove(mac: Buffer): boolean;
  clear(): void;
  /** The MACs (32 bytes each, concatenated) of entries that answered a request since the last call. */
  takeTouched(): Buffer;
  /**
   * Keep a ready-made header (its cipher already added) for a new file of
   * this guard point and policy name: the addon answers a NEW_HEADER with
   * it. False when that pool is full.
   */
  stock(guardPoint: string, policyName: string, header: Buffer): boolean;
  /** Ready-made headers waiting for this guard point and policy name (expired ones included). */
  pooled(guardPoint: string, policyName: string): number;
  /**
   * Make `count` (1..256) headers for new files under the key's latest
   * `keyVersion` from its 32 bytes of `material` (the bytes createFileCipher
   * makes, with fresh nonces), add their keys to the table as its own
   * entries and stock them; returns how many were stocked.
   */
  makeHeaders(guardPoint: string, policyName: string, keyName: string, keyVersion: number, material: Buffer, count: number): number;
  /** Entries makeHeaders added that the agent's cache has not added since. */
  readonly madeCount: number;
  /**
   * The AES-256-XTS contexts this table's keys hold now (a file keeps one
   * per direction for its next data request; at most 1024 files keep
   * theirs, the first to keep one lets go first) and have set up in all.
   */
  readonly xtsContexts: { live: number; made: number };
  /**
   * Let the receive thread open headers of this key version itself (a
   * file's first data request after a restart or reload, or one the
   * cache let go): `material` came from the key file at `path` (absolute)
   * while it had `stamp` (keyFileStamp); a header is opened only while an
   * lstat of the file still gives that stamp and the header is exactly
   * the one the material makes from its nonce. clear() forgets them.
   * False when the name is not one a header holds or 4096 others are kept.
   */
  allowKey(keyName: string, keyVersion: number, material: Buffer, path: string, stamp: Buffer): boolean;
  /** Key versions allowKey kept, and headers the receive thread opened with them. */
  readonly keysAllowed: { keys: number; opened: number };
}

/** What the test entry point codec.serveCryptMessage reports. */
export interface NativeServeResult {
  served: 'no' | 'yes' | 'failed';
  requestId?: number;
  /** served 'yes': the reply message's bytes. */
  reply?: Buffer;
  /** served 'failed': what OpenSSL said. */
  failure?: string;
}

export interface NativeChannel {
  readonly familyId: number;
  readonly portId: number;
  readonly closed: boolean;
  readonly droppedForeign: number;
  /** Data requests the receive thread answered from the cipher table. */
  readonly servedInAddon: number;
  /** `lowWater` > 0: onPoolLow hears of a pool a NEW_HEADER answered here left with fewer headers. */
  serveData(table: NativeCipherTable | null, lowWater?: number): void;
  register(reg: NativeRegister): Promise<void>;
  unregister(): Promise<void>;
  setGeneration(gen: NativeGeneration): Promise<void>;
  reply(reply: NativeReply): Promise<void>;
  cryptReply(reply: NativeCryptReply): Promise<void>;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeUser {
  name: string;
  uid: number;
  gid: number;
  dir: string;
  shell: string;
}

export interface NativeGroup {
  name: string;
  gid: number;
  members: string[];
}

export interface NativeConstants {
  familyName: string;
  genlVersion: number;
  protocolVersion: number;
  pathMax: number;
  maxGroups: number;
  maxCacheTtlMs: number;
  actionCount: number;
  commands: Record<string, number>;
  attributes: Record<string, number>;
  sizes: { register: number; generation: number; policyReq: number; policyReply: number; cryptReq: number; cryptReply: number };
  dataUnitSize: number;
  fileHeaderSize: number;
  maxRunUnits: number;
  cryptOps: Record<'NEW_HEADER' | 'OPEN_HEADER' | 'ENCRYPT' | 'DECRYPT', number>;
  cryptReasons: Record<
    'NONE' | 'NOT_ENCRYPTED' | 'HEADER_INVALID' | 'HEADER_TAMPERED' | 'KEY_MISSING' | 'NO_KEY_RULE' | 'BAD_REQUEST' | 'INTERNAL',
    number
  >;
  requestFlags: { DIR: number };
  replyFlags: { APPLYKEY: number; AUDIT: number; ANY_OBJECT: number };
  verdicts: { DENY: number; PERMIT: number };
}

export interface NativeAddon {
  Channel: new (
    onRequest: (request: NativeRequest) => void,
    onEvent: (fault: NativeFault) => void,
    onCrypt?: (request: NativeCryptRequest) => void,
    onPoolLow?: (guardPoint: string, policyName: string, pooled: number) => void,
  ) => NativeChannel;
  /** `poolMaxAgeMs` (default 2000): ready-made headers older than this are not handed out. */
  CipherTable: new (capacity: number, poolMaxAgeMs?: number) => NativeCipherTable;
  constants: NativeConstants;
  codec: {
    encodeRegister(v: NativeRegister): Buffer;
    decodeRegister(b: Buffer): NativeRegister;
    encodeGeneration(v: NativeGeneration): Buffer;
    decodeGeneration(b: Buffer): NativeGeneration;
    encodePolicyReq(v: NativePolicyReq): Buffer;
    decodePolicyReq(b: Buffer): NativePolicyReq;
    encodePolicyReply(v: NativeReply): Buffer;
    decodePolicyReply(b: Buffer): NativeReply;
    decodeRequestMessage(b: Buffer): NativeRequest;
    encodeCryptReq(v: NativeCryptReq): Buffer;
    decodeCryptReq(b: Buffer): NativeCryptReq;
    decodeCryptReply(b: Buffer): { requestId: number; status: number; reason: number; length: number };
    decodeCryptRequestMessage(b: Buffer): NativeCryptRequest;
    encodeCryptReplyMessage(familyId: number, reply: NativeCryptReply): Buffer;
    /** Answer one whole CRYPT_REQ message as the receive thread would; transforms its units in place. */
    serveCryptMessage(table: NativeCipherTable, message: Buffer): NativeServeResult;
  };
  getpwuid(uid: number): Promise<NativeUser | null>;
  getpwnam(name: string): Promise<NativeUser | null>;
  getgrgid(gid: number): Promise<NativeGroup | null>;
  getgrnam(name: string): Promise<NativeGroup | null>;
  getgrouplist(user: string, gid: number): Promise<number[]>;
  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void>;
  umount2(target: string, flags: number): Promise<void>;
  syncfs(path: string): Promise<void>;
  mountFlags: Record<string, number>;
}

/** Where `npm ci` builds the addon; the same from src/kernel and dist/kernel. */
export const ADDON_PATH = join(__dirname, '..', '..', 'addon', 'build', 'Release', 'takakrypt.node');

let cached: NativeAddon | null = null;

/**
 * The addon as `T` when it is built and exports every name in `names`,
 * or null: for the data path's optional native parts, which have
 * node:crypto (or the agent itself) to fall back on.
 */
export function optionalAddon<T>(names: readonly string[]): T | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires -- a native module has no ES import
    const addon = require(ADDON_PATH) as Record<string, unknown>;
    return names.every((name) => typeof addon[name] === 'function') ? (addon as T) : null;
  } catch {
    return null;
  }
}

/** The addon, loaded once; KERNEL_ADDON_MISSING if it was never built. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires -- a native module has no ES import
    cached = require(ADDON_PATH) as NativeAddon;
  } catch (err) {
    throw createError(
      'KERNEL_ADDON_MISSING',
      `expected the native addon at ${ADDON_PATH}, got ${(err as Error).message.split('\n')[0]}; run npm ci`,
      { path: ADDON_PATH },
    );
  }
  return cached;
}

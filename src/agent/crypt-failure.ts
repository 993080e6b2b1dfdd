// Why a crypt request failed: the reason code the kernel gets, the errno,
// and a sentence for the audit record and the log (never key material).
import { constants as os } from 'node:os';
import { readFileSync, readlinkSync } from 'node:fs';
import { isTakakryptError, type ErrorCode } from '../errors';
import type { CryptOp, CryptReason, CryptRequest } from '../kernel/types';
import type { PolicyDecision, PolicyRequest } from '../policy/types';
import type { FineAction } from '../config/types';

/** A failure the handler answers with `reason`; `words` go to the audit record. */
export class CryptFailure extends Error {
  constructor(readonly reason: Exclude<CryptReason, 'NONE'>, readonly words: string, readonly keyName: string | null = null) {
    super(words);
    this.name = 'CryptFailure';
  }
}

const REASON_BY_CODE: Partial<Record<ErrorCode, Exclude<CryptReason, 'NONE'>>> = {
  CRYPTO_NO_HEADER: 'NOT_ENCRYPTED',
  CRYPTO_HEADER_TRUNCATED: 'NOT_ENCRYPTED',
  CRYPTO_HEADER_INVALID: 'HEADER_INVALID',
  CRYPTO_UNSUPPORTED_VERSION: 'HEADER_INVALID',
  CRYPTO_UNSUPPORTED_ALGORITHM: 'HEADER_INVALID',
  CRYPTO_UNKNOWN_FLAGS: 'HEADER_INVALID',
  CRYPTO_KEY_INVALID: 'HEADER_INVALID',
  CRYPTO_HEADER_TAMPERED: 'HEADER_TAMPERED',
  CRYPTO_KEY_MISMATCH: 'HEADER_TAMPERED',
  CRYPTO_RANGE_INVALID: 'BAD_REQUEST',
};

/** The CryptFailure for anything thrown while serving a request. */
export function classify(err: unknown): CryptFailure {
  if (err instanceof CryptFailure) return err;
  const message = (err as Error)?.message ?? String(err);
  if (isTakakryptError(err)) {
    if (err.code === 'CRYPTO_HEADER_TAMPERED') return new CryptFailure('HEADER_TAMPERED', 'file header failed verification (HMAC mismatch)');
    if (err.code === 'CRYPTO_KEY_MISMATCH') {
      return new CryptFailure('HEADER_TAMPERED', `file header failed verification (key check mismatch: key ${err.details.keyName} version ${err.details.keyVersion} in the key store is not the key the file names)`);
    }
    const reason = REASON_BY_CODE[err.code];
    if (reason !== undefined) return new CryptFailure(reason, message);
  }
  return new CryptFailure('INTERNAL', `internal error: ${message}`);
}

// Linux's errno for "required key not available"; node's table omits it.
const ENOKEY = 126;

/** The status a reason is answered with (the kernel turns every failure into EIO anyway). */
export function statusFor(reason: CryptReason): number {
  if (reason === 'NONE') return 0;
  if (reason === 'BAD_REQUEST') return -os.errno.EINVAL;
  if (reason === 'KEY_MISSING' || reason === 'NO_KEY_RULE') return -ENOKEY;
  return -os.errno.EIO;
}

const ACTION_BY_OP: Record<CryptOp, FineAction> = {
  NEW_HEADER: 'f_cre', OPEN_HEADER: 'f_rd', ENCRYPT: 'f_wr', DECRYPT: 'f_rd',
};

/** The file a request is about: its path, or its inode when the kernel sent no path. */
export function fileOf(request: CryptRequest): string {
  return request.path !== '' ? request.path : `inode ${request.inode}`;
}

// gid and executable of a live task; writeback (pid 0) and a task that has
// exited leave gid -1 and exe ''.
function taskOf(pid: number, procRoot: string): { gid: number; exe: string } {
  if (pid === 0) return { gid: -1, exe: '' };
  let gid = -1;
  let exe = '';
  try {
    const line = /^Gid:\s+\d+\s+\d+\s+\d+\s+(\d+)/m.exec(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
    if (line) gid = Number(line[1]);
    exe = readlinkSync(`${procRoot}/${pid}/exe`);
  } catch {
    // The task may be gone: the record keeps its pid and uid.
  }
  return { gid, exe };
}

/** The audit record's request and decision for a failed crypt request. */
export function auditEntry(request: CryptRequest, failure: CryptFailure, policy: string, procRoot: string): { request: PolicyRequest; decision: PolicyDecision } {
  const task = taskOf(request.pid, procRoot);
  return {
    request: {
      guardPoint: request.guardPoint,
      path: fileOf(request),
      isDirectory: false,
      action: ACTION_BY_OP[request.op],
      uid: request.uid,
      gid: task.gid,
      groups: [],
      exe: task.exe,
      pid: request.pid,
    },
    decision: {
      permit: false,
      applyKey: true,
      audit: true,
      ruleIndex: null,
      policy,
      keyName: failure.keyName,
      learnMode: false,
      reason: `${request.op} failed (${failure.reason}): ${failure.words}`,
    },
  };
}

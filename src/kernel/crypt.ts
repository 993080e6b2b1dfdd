// Converts the addon's decoded CRYPT_REQ into the agent's CryptRequest and
// a CryptReply into the wire's reply fields, checking both against the
// header's limits.
import { constants as os } from 'node:os';
import { createError } from '../errors';
import type { NativeConstants, NativeCryptReply, NativeCryptRequest } from './native';
import type { CryptOp, CryptReply, CryptRequest } from './types';
import { checkBuffer, checkInt32, checkObject, checkOneOf, checkRequestId } from './validate';

const EINVAL = os.errno.EINVAL;

// Value -> name of a constants table, built once per table rather than
// searched for every request.
const reversed = new WeakMap<object, Map<number, string>>();

function nameOf<T extends string>(table: Record<T, number>, value: number): T | undefined {
  let names = reversed.get(table);
  if (names === undefined) {
    names = new Map((Object.keys(table) as T[]).map((name) => [table[name], name]));
    reversed.set(table, names);
  }
  return names.get(value) as T | undefined;
}

/** The CryptRequest for a native request, or a reason it cannot be one. */
export function toCryptRequest(req: NativeCryptRequest, constants: NativeConstants): CryptRequest | string {
  const op = nameOf<CryptOp>(constants.cryptOps, req.op);
  if (op === undefined) return `expected a crypt op from 1 to 4, got ${req.op}`;
  const units = req.data === undefined ? 0 : Math.ceil(req.data.length / constants.dataUnitSize);
  if (units > 0 && !Number.isSafeInteger(req.firstUnit + units)) {
    return `expected data units below 2^53, got ${req.firstUnit}..${req.firstUnit + units - 1}`;
  }
  return {
    id: req.requestId,
    op,
    pid: req.pid,
    uid: req.uid,
    inode: req.inode.toString(),
    firstUnit: req.firstUnit,
    length: req.length,
    ...(req.header === undefined ? {} : { header: req.header }),
    ...(req.data === undefined ? {} : { data: req.data }),
    ...(req.failure === undefined ? {} : { failure: req.failure }),
    guardPoint: req.guardPoint,
    path: req.path,
    policyName: req.policyName,
  };
}

/** Validate a reply and encode it as the wire's reply fields (Buffers are passed, not copied). */
export function toCryptReply(reply: unknown, constants: NativeConstants): NativeCryptReply {
  const r = checkObject('reply', reply) as Partial<CryptReply>;
  const requestId = checkRequestId('id', r.id);
  const status = checkInt32('status', r.status, -4095, 0);
  const reason = checkOneOf('reason', r.reason, constants.cryptReasons);
  if ((status === 0) !== (r.reason === 'NONE')) {
    const expected = status === 0 ? `a negative errno for reason ${String(r.reason)}` : '0 for reason NONE';
    throw createError('KERNEL_INVALID_ARGUMENT', `Expected the \`status\` option to be ${expected}, got ${status}`, { option: 'status' });
  }
  const out: NativeCryptReply = { requestId, status, reason };
  if (r.header !== undefined) out.header = checkBuffer('header', r.header, constants.fileHeaderSize, constants.fileHeaderSize);
  if (r.data !== undefined) out.data = checkBuffer('data', r.data, 1, constants.maxRunUnits * constants.dataUnitSize);
  return out;
}

/** The reply that refuses a malformed request: -EINVAL, BAD_REQUEST. */
export function refuseCryptReply(requestId: number, constants: NativeConstants): NativeCryptReply {
  return { requestId, status: -EINVAL, reason: constants.cryptReasons.BAD_REQUEST };
}

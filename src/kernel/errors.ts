// Native failures (Errors whose `code` is an errno name) as the agent's
// TakakryptErrors with kernel-domain codes.
import { createError, type ErrorCode, type TakakryptError } from '../errors';

/** The shape of an error thrown or rejected by the addon. */
export interface NativeError {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
}

function native(err: unknown): NativeError {
  if (typeof err === 'object' && err !== null && 'message' in err) return err as NativeError;
  return { message: String(err) };
}

// errno names whose meaning does not depend on the command.
const BY_ERRNO: Record<string, ErrorCode> = {
  EPERM: 'KERNEL_PERMISSION_DENIED',
  EBUSY: 'KERNEL_AGENT_BUSY',
  EPROTONOSUPPORT: 'KERNEL_PROTOCOL_MISMATCH',
  ESHUTDOWN: 'KERNEL_CHANNEL_CLOSED',
};

/** The error for a channel command (REGISTER, POLICY_REPLY, ...) that failed. */
export function commandError(command: string, err: unknown): TakakryptError {
  const e = native(err);
  let code: ErrorCode = (e.code && BY_ERRNO[e.code]) || 'KERNEL_COMMAND_REJECTED';
  let hint = '';
  if (code === 'KERNEL_PERMISSION_DENIED' && /not the registered agent/.test(e.message)) {
    code = 'KERNEL_NOT_REGISTERED';
  } else if (code === 'KERNEL_PERMISSION_DENIED') {
    hint = ' (the agent needs CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  }
  return createError(code, `expected the kernel to accept ${command}, got ${e.code ?? 'an error'}: ${e.message}${hint}`, {
    command,
    errno: e.code,
  });
}

/** The error for opening the channel (socket, family look-up). */
export function openError(err: unknown): TakakryptError {
  const e = native(err);
  if (e.code === 'ENOENT' && e.syscall === 'getfamily') {
    return createError('KERNEL_MODULE_NOT_LOADED', `expected the generic netlink family TAKAKRYPT, got none: ${e.message}`, {
      errno: e.code,
    });
  }
  return createError('KERNEL_SOCKET_FAILED', `expected to open a generic netlink socket, got ${e.code ?? 'an error'} from ${e.syscall ?? 'the addon'}: ${e.message}`, {
    errno: e.code,
  });
}

/** The error for a failed system call outside the channel (mount, NSS). */
export function syscallError(code: ErrorCode, what: string, err: unknown): TakakryptError {
  const e = native(err);
  return createError(code, `expected ${what} to succeed, got ${e.code ?? 'an error'}: ${e.message}`, {
    errno: e.code,
    syscall: e.syscall,
  });
}

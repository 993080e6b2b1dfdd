// Error codes of the kernel domain: code -> one-line summary (docs/ERRORS.md has the details).
export const kernelCodes = {
  KERNEL_ADDON_MISSING: 'the native addon was not built',
  KERNEL_MODULE_NOT_LOADED: 'the TAKAKRYPT netlink family does not exist: the module is not loaded',
  KERNEL_SOCKET_FAILED: 'the netlink socket could not be opened or used',
  KERNEL_PERMISSION_DENIED: 'the kernel refused a command from a process without CAP_SYS_ADMIN and CAP_NET_ADMIN',
  KERNEL_AGENT_BUSY: 'another agent is already registered with the kernel',
  KERNEL_PROTOCOL_MISMATCH: 'the kernel module speaks another protocol version',
  KERNEL_NOT_REGISTERED: 'the kernel answered that this channel is not the registered agent',
  KERNEL_COMMAND_REJECTED: 'the kernel rejected a command',
  KERNEL_CHANNEL_CLOSED: 'the channel was closed before or while a command ran',
  KERNEL_INVALID_ARGUMENT: 'an argument to the kernel wrapper has the wrong type or range',
  KERNEL_MOUNT_FAILED: 'mount(2) failed',
  KERNEL_UNMOUNT_FAILED: 'umount2(2) failed',
  KERNEL_SYNC_FAILED: 'syncfs(2) of a guard point failed',
  KERNEL_NSS_FAILED: 'a user or group look-up through NSS failed',
} as const;

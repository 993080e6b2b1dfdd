// Error codes of the agent domain: code -> one-line summary (docs/ERRORS.md has the details).
export const agentCodes = {
  AGENT_ALREADY_RUNNING: 'a pid file names a live agent',
  AGENT_NOT_RUNNING: 'no live agent for this pid file',
  AGENT_PID_FILE: 'the pid file could not be read or written',
  AGENT_MODULE_NOT_LOADED: 'the takakrypt kernel module is not loaded',
  AGENT_KEY_MISSING: 'a key rule names a key the key store does not hold',
  AGENT_GUARD_POINT_MISSING: 'a guard point directory does not exist or is not a directory',
  AGENT_MOUNT_FAILED: 'mounting a guard point failed',
  AGENT_GUARD_POINT_BUSY: 'a guard point could not be unmounted because it is in use',
  AGENT_START_FAILED: 'the agent process failed before it was ready',
  AGENT_STOP_TIMEOUT: 'the agent did not exit in time',
  AGENT_CONTROL_FAILED: 'the control socket of the running agent did not answer',
  AGENT_RELOAD_REJECTED: 'a reload was refused; the running configuration is unchanged',
} as const;

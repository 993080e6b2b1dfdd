// Process exit codes of takakrypt-agent, documented in docs/CLI.md.
export const EXIT = {
  OK: 0,
  /** A runtime failure: I/O, the kernel module, the key store. */
  FAILURE: 1,
  /** The command line itself was wrong. */
  USAGE: 2,
  /** The configuration file is invalid; every problem was printed. */
  CONFIG_INVALID: 3,
  /** `policy check`: the decision is deny. */
  DENIED: 4,
  /** `status`/`stop`: the agent is not running. */
  NOT_RUNNING: 5,
} as const;

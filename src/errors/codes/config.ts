// Error codes of the config domain: code -> one-line summary (docs/ERRORS.md has the details).
export const configCodes = {
  CONFIG_INVALID: 'the configuration file has problems; details.problems lists each with its line and column',
  CONFIG_UNREADABLE: 'the configuration file could not be opened or read, or is not a regular file of sane size',
} as const;

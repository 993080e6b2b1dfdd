// Error codes of the audit domain: code -> one-line summary (docs/ERRORS.md has the details).
export const auditCodes = {
  AUDIT_OPEN_FAILED: 'the audit file cannot be opened for appending',
  AUDIT_WRITE_FAILED: 'writing to the audit file failed; later records go to syslog only, if configured',
  AUDIT_SYSLOG_FAILED: 'the logger process for audit syslog output failed; records go to the file only',
} as const;

// Error codes of the keys domain: code -> one-line summary (docs/ERRORS.md has the details).
export const keyCodes = {
  KEYS_STORE_MISSING: 'the key store directory does not exist',
  KEYS_STORE_INSECURE: 'the key store directory or a key file has an unsafe owner, mode or type',
  KEYS_NAME_INVALID: 'a key name does not match the allowed pattern',
  KEYS_NAME_RESERVED: 'a key name is reserved (clear_key)',
  KEYS_NOT_FOUND: 'no key of that name in the key store',
  KEYS_VERSION_NOT_FOUND: 'the key exists but not at the requested version',
  KEYS_EXISTS: 'a key of that name already exists',
  KEYS_FILE_CORRUPT: 'a key file is truncated, altered or not a key file',
  KEYS_PASSPHRASE_REQUIRED: 'a key file is wrapped and no passphrase was supplied',
  KEYS_PASSPHRASE_WRONG: 'the passphrase does not unwrap the key file',
  KEYS_PASSPHRASE_UNREADABLE: 'the passphrase file could not be read or is unsafe',
  KEYS_STORE_LOCKED: 'another process is changing the key store',
  KEYS_WRITE_FAILED: 'writing a key file failed; the previous file is unchanged',
} as const;

// Error codes of the transform domain: code -> one-line summary (docs/ERRORS.md has the details).
export const transformCodes = {
  TRANSFORM_GUARD_POINT_ACTIVE: 'a takakryptfs guard point is mounted at, above or below the directory',
  TRANSFORM_NOT_DIRECTORY: 'the path to transform is not a directory',
  TRANSFORM_PROTECTED_PATH: 'the directory to transform is the key store or inside it',
  TRANSFORM_KEY_SPEC_INVALID: 'encrypt or rekey was asked for without a key',
  TRANSFORM_NO_SPACE: 'the filesystem is full; the run stopped, the current file is unchanged',
  TRANSFORM_INCOMPLETE: 'the run finished but some files were not converted, changed or failed',
} as const;

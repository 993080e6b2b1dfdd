// Error codes of the transform domain: code -> one-line summary (docs/ERRORS.md has the details).
export const transformCodes = {
} as const;

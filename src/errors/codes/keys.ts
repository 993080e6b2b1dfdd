// Error codes of the keys domain: code -> one-line summary (docs/ERRORS.md has the details).
export const keyCodes = {
} as const;

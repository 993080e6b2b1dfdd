// Error codes of the config domain: code -> one-line summary (docs/ERRORS.md has the details).
export const configCodes = {
} as const;

// Error codes of the crypto domain: code -> one-line summary (docs/ERRORS.md has the details).
export const cryptoCodes = {
} as const;

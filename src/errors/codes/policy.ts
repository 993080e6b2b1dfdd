// Error codes of the policy domain: code -> one-line summary (docs/ERRORS.md has the details).
export const policyCodes = {
} as const;

// Error codes of the agent domain: code -> one-line summary (docs/ERRORS.md has the details).
export const agentCodes = {
} as const;

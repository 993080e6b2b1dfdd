// Error codes of the kernel domain: code -> one-line summary (docs/ERRORS.md has the details).
export const kernelCodes = {
} as const;

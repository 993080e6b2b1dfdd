// One registry of error codes. Every code is stable, documented in
// docs/ERRORS.md (a test enforces it) and owned by one domain table.
import { agentCodes } from './codes/agent';
import { auditCodes } from './codes/audit';
import { configCodes } from './codes/config';
import { cryptoCodes } from './codes/crypto';
import { kernelCodes } from './codes/kernel';
import { keyCodes } from './codes/keys';
import { policyCodes } from './codes/policy';
import { transformCodes } from './codes/transform';

export const errorCodes = {
  ...agentCodes,
  ...auditCodes,
  ...configCodes,
  ...cryptoCodes,
  ...kernelCodes,
  ...keyCodes,
  ...policyCodes,
  ...transformCodes,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** The single error class the agent throws; `code` is stable, the message is for people. */
export class TakakryptError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TakakryptError';
    this.code = code;
    this.details = details;
  }
}

/** Create a TakakryptError; the message should say what was expected and what was found. */
export function createError(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): TakakryptError {
  return new TakakryptError(code, message, details);
}

/** True when `err` is a TakakryptError, optionally with the given code. */
export function isTakakryptError(err: unknown, code?: ErrorCode): err is TakakryptError {
  return err instanceof TakakryptError && (code === undefined || err.code === code);
}

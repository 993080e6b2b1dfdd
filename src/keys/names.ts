// Key names and NAME[:VERSION] specifications, as used by key rules and the CLI.
import { createError } from '../errors';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The key-rule name meaning "not encrypted"; no stored key may take it. */
export const CLEAR_KEY = 'clear_key';

/** Throw KEYS_NAME_INVALID or KEYS_NAME_RESERVED unless `name` may name a stored key. */
export function validateKeyName(name: string): void {
  if (name === CLEAR_KEY) {
    throw createError('KEYS_NAME_RESERVED', `key name "${CLEAR_KEY}" is reserved: it means "not encrypted" in key rules`, { name });
  }
  if (!KEY_NAME.test(name)) {
    throw createError(
      'KEYS_NAME_INVALID',
      `expected a key name of 1 to 64 characters from A-Z a-z 0-9 . _ - starting with a letter or digit, got ${JSON.stringify(name)}`,
      { name },
    );
  }
}

/** A key name with an optional version; version undefined means the latest. */
export interface KeySpec {
  name: string;
  version?: number;
}

/** Parse NAME or NAME:VERSION (VERSION a positive integer). */
export function parseKeySpec(text: string): KeySpec {
  const colon = text.lastIndexOf(':');
  if (colon < 0) {
    validateKeyName(text);
    return { name: text };
  }
  const name = text.slice(0, colon);
  const versionText = text.slice(colon + 1);
  validateKeyName(name);
  if (!/^[1-9][0-9]{0,8}$/.test(versionText)) {
    throw createError('KEYS_NAME_INVALID', `expected NAME:VERSION with a positive integer VERSION, got ${JSON.stringify(text)}`, { spec: text });
  }
  return { name, version: Number(versionText) };
}

// Argument checks of the kernel wrapper, each failing with
// KERNEL_INVALID_ARGUMENT and a message naming the option, what was
// expected and what was found.
import { createError } from '../errors';

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

/** Render a value as it would appear in code, for messages. */
export function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function invalid(name: string, expected: string, value: unknown): never {
  throw createError('KERNEL_INVALID_ARGUMENT', `Expected the \`${name}\` option to be ${expected}, got ${show(value)}`, {
    option: name,
  });
}

/** A 32-bit unsigned integer (ids, pids, milliseconds), optionally capped. */
export function checkUint32(name: string, value: unknown, max = U32_MAX): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    invalid(name, 'a non-negative integer', value);
  }
  if (value > max) invalid(name, `at most ${max}`, value);
  return value;
}

/** A positive 32-bit integer (request ids are never 0). */
export function checkRequestId(name: string, value: unknown): number {
  if (value === 0) invalid(name, 'a positive integer', value);
  return checkUint32(name, value);
}

/** A 64-bit unsigned bigint. */
export function checkUint64(name: string, value: unknown): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    invalid(name, 'a bigint from 0n to 2n ** 64n - 1n', value);
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalid(name, 'a boolean', value);
  return value;
}

/** A non-empty string without NUL bytes. */
export function checkName(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    invalid(name, 'a non-empty string without NUL bytes', value);
  }
  return value;
}

/** An absolute path without NUL bytes. */
export function checkAbsolutePath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0')) {
    invalid(name, 'an absolute path', value);
  }
  return value;
}

/** A plain object (the options bag itself). */
export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(name, 'an object', value);
  return value as Record<string, unknown>;
}

/** A 32-bit signed integer from `min` to `max` (negative errnos). */
export function checkInt32(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A Buffer of `min` to `max` bytes. */
export function checkBuffer(name: string, value: unknown, min: number, max: number): Buffer {
  if (!Buffer.isBuffer(value)) invalid(name, 'a Buffer', value);
  if (value.length < min || value.length > max) {
    const range = min === max ? `${min}` : `${min} to ${max}`;
    throw createError('KERNEL_INVALID_ARGUMENT', `Expected the \`${name}\` option to be a Buffer of ${range} bytes, got ${value.length} bytes`, {
      option: name,
    });
  }
  return value;
}

/** One of the names of `table`; returns its number. */
export function checkOneOf(name: string, value: unknown, table: Record<string, number>): number {
  if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(table, value)) {
    invalid(name, `one of ${Object.keys(table).join(', ')}`, value);
  }
  return table[value];
}

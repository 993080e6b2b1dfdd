// The addon's xtsRun/xtsRunAsync: every argument is re-checked natively
// with an exact TypeError, OpenSSL failures carry code EOPENSSL, and the
// async variant computes the same bytes as the synchronous one.
import { randomBytes } from 'node:crypto';
import { loadXtsNative, XtsNative, xtsBackend } from '../../src/crypto/xts-run';
import { pattern } from './helpers';

const U = 4096;
const KEY = Buffer.concat([Buffer.alloc(32, 0x11), Buffer.alloc(32, 0x22)]);
const INPUT = pattern(2 * U + 100, 5);
const OUTPUT = Buffer.alloc(INPUT.length);
const SHARED = Buffer.alloc(2 * U);

function addon(): XtsNative {
  const native = loadXtsNative();
  if (native === null) throw new Error('the addon is not built: run npm ci');
  return native;
}

function typeError(args: unknown[]): string {
  try {
    (addon().xtsRun as (...a: unknown[]) => void)(...args);
    return 'no error';
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}

const valid = [KEY, 0, U, INPUT, OUTPUT, true, true];
const withArg = (index: number, value: unknown) => valid.map((v, i) => (i === index ? value : v));

test('the built addon serves XTS runs', () => {
  expect(xtsBackend()).toBe('addon');
});

describe('xtsRun re-checks its arguments', () => {
  test.each([
    ['no arguments', [], 'expected 7 arguments, got 0'],
    ['an eighth argument', [...valid, 1], 'expected 7 arguments, got 8'],
    ['a 63-byte key', withArg(0, KEY.subarray(1)), 'expected key to be a Buffer of 64 bytes, got a Buffer of 63 bytes'],
    ['a string key', withArg(0, 'k'), 'expected key to be a Buffer of 64 bytes, got string'],
    ['a DataView key', withArg(0, new DataView(new ArrayBuffer(64))), 'expected key to be a Buffer of 64 bytes, got DataView'],
    ['a Float64Array key of 64 bytes', withArg(0, new Float64Array(8)), 'expected key to be a Buffer of 64 bytes, got a typed array other than Uint8Array'],
    ['a negative first unit', withArg(1, -1), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got a number -1'],
    ['a fractional first unit', withArg(1, 1.5), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got a number 1.5'],
    ['an unsafe first unit', withArg(1, 2 ** 53), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got a number 9007199254740992'],
    ['NaN as first unit', withArg(1, NaN), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got a number NaN'],
    ['a negative bigint', withArg(1, -1n), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got a bigint -1'],
    ['a bigint of 2^64', withArg(1, 2n ** 64n), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got a bigint 18446744073709551616'],
    ['a string first unit', withArg(1, '0'), 'expected firstUnit to be a safe integer >= 0 or a bigint from 0 to 2^64-1, got string'],
    ['a unit size not a multiple of 16', withArg(2, 100), 'expected unitSize to be a multiple of 16 from 16 to 16777216, got a number 100'],
    ['a unit size of 0', withArg(2, 0), 'expected unitSize to be a multiple of 16 from 16 to 16777216, got a number 0'],
    ['a unit size above 2^20 blocks', withArg(2, 2 ** 24 + 16), 'expected unitSize to be a multiple of 16 from 16 to 16777216, got a number 16777232'],
    ['an array as input', withArg(3, [1, 2]), 'expected input to be a Buffer, got object'],
    ['an ArrayBuffer as input', withArg(3, new ArrayBuffer(U)), 'expected input to be a Buffer, got ArrayBuffer'],
    ['a final unit of 15 bytes', withArg(3, INPUT.subarray(0, U + 15)), 'expected input to end with a unit of at least 16 bytes, got a final unit of 15 bytes'],
    ['a short output', withArg(4, OUTPUT.subarray(1)), `expected output to be a Buffer of at least ${INPUT.length} bytes, got a Buffer of ${INPUT.length - 1} bytes`],
    ['no output', withArg(4, undefined), `expected output to be a Buffer of at least ${INPUT.length} bytes, got undefined`],
    ['an overlapping output', [KEY, 0, U, SHARED.subarray(0, U), SHARED.subarray(16), true, true], 'expected output to be input itself or not to overlap it, got overlapping Buffers'],
    ['a number for encrypt', withArg(5, 1), 'expected encrypt to be a boolean, got a number 1'],
    ['null for zeroUnits', withArg(6, null), 'expected zeroUnits to be a boolean, got null'],
  ])('%s', (_name, args, message) => {
    expect(typeError(args)).toBe(`TypeError: ${message}`);
  });

  test.each([
    ['the input itself', () => {
      const buffer = Buffer.from(INPUT);
      return [buffer, buffer];
    }],
    ['an output ending where the input starts', () => [SHARED.subarray(U), SHARED.subarray(0, U)]],
    ['a plain Uint8Array', () => [Buffer.from(INPUT), new Uint8Array(INPUT.length)]],
  ])('%s is accepted as output', (_name, buffers) => {
    const [input, output] = buffers();
    expect(typeError([KEY, 0, U, input, output, true, false])).toBe('no error');
  });

  test('the async variant throws the same TypeError before queueing', () => {
    let message = 'no error';
    try {
      void addon().xtsRunAsync(KEY, 0, 100, INPUT, OUTPUT, true, true);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('expected unitSize to be a multiple of 16 from 16 to 16777216, got a number 100');
  });
});

describe('OpenSSL failures', () => {
  const equalHalves = Buffer.alloc(64, 7);
  const expected = { code: 'EOPENSSL', message: 'AES-256-XTS key set-up failed: error:1C800095:Provider routines::xts duplicated keys' };

  test('a key with equal halves fails with EOPENSSL, synchronously', () => {
    let found: unknown;
    try {
      addon().xtsRun(equalHalves, 0, U, INPUT, OUTPUT, true, false);
    } catch (err) {
      found = { code: (err as { code: string }).code, message: (err as Error).message };
    }
    expect(found).toEqual(expected);
  });

  test('and from the async variant too', () => {
    let found: unknown;
    try {
      void addon().xtsRunAsync(equalHalves, 0, U, INPUT, OUTPUT, true, false);
    } catch (err) {
      found = { code: (err as { code: string }).code, message: (err as Error).message };
    }
    expect(found).toEqual(expected);
  });
});

describe('xtsRunAsync', () => {
  test.each([
    [256 * 1024, 0],
    [1024 * 1024 + 100, 2 ** 40 + 3],
  ])('a %d-byte run from unit %d gives the bytes of the synchronous call', async (length, first) => {
    const key = randomBytes(64);
    const input = randomBytes(length);
    const sync = Buffer.alloc(length);
    const viaPool = Buffer.alloc(length);
    addon().xtsRun(key, first, U, input, sync, true, true);
    const pending = addon().xtsRunAsync(key, first, U, input, viaPool, true, true);
    // The key schedule was made before the call returned: wiping is safe.
    key.fill(0);
    await pending;
    expect(viaPool.equals(sync)).toBe(true);
  });
});

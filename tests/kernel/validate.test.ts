import { isTakakryptError } from '../../src/errors';
import { KernelChannel } from '../../src/kernel/channel';
import { FakeKernel } from './fake-addon';

const channel = KernelChannel.open({ addon: new FakeKernel().addon() });
const ok = { id: 1, permit: true, applyKey: false, audit: false, cacheTtlMs: 0 };

async function message(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (isTakakryptError(err, 'KERNEL_INVALID_ARGUMENT')) return err.message;
    throw err;
  }
  return 'no error';
}

describe('answer validation', () => {
  test.each([
    [{ ...ok, id: -1 }, 'Expected the `id` option to be a non-negative integer, got -1'],
    [{ ...ok, id: 0 }, 'Expected the `id` option to be a positive integer, got 0'],
    [{ ...ok, id: 1.5 }, 'Expected the `id` option to be a non-negative integer, got 1.5'],
    [{ ...ok, id: 2 ** 32 }, 'Expected the `id` option to be at most 4294967295, got 4294967296'],
    [{ ...ok, id: '3' }, 'Expected the `id` option to be a non-negative integer, got "3"'],
    [{ ...ok, permit: 'yes' }, 'Expected the `permit` option to be a boolean, got "yes"'],
    [{ ...ok, applyKey: 1 }, 'Expected the `applyKey` option to be a boolean, got 1'],
    [{ ...ok, audit: undefined }, 'Expected the `audit` option to be a boolean, got undefined'],
    [{ ...ok, anyObject: 'no' }, 'Expected the `anyObject` option to be a boolean, got "no"'],
    [{ ...ok, cacheTtlMs: 3600001 }, 'Expected the `cacheTtlMs` option to be at most 3600000, got 3600001'],
    [{ ...ok, cacheTtlMs: null }, 'Expected the `cacheTtlMs` option to be a non-negative integer, got null'],
    [null, 'Expected the `answer` option to be an object, got null'],
    [[ok], 'Expected the `answer` option to be an object, got an array'],
  ])('answer(%p)', async (answer, expected) => {
    expect(await message(() => channel.answer(answer as never))).toBe(expected);
  });
});

describe('setGeneration validation', () => {
  test.each([
    [-1n, 0, 'Expected the `generation` option to be a bigint from 0n to 2n ** 64n - 1n, got -1n'],
    [2n ** 64n, 0, 'Expected the `generation` option to be a bigint from 0n to 2n ** 64n - 1n, got 18446744073709551616n'],
    [1, 0, 'Expected the `generation` option to be a bigint from 0n to 2n ** 64n - 1n, got 1'],
    [1n, -5, 'Expected the `cacheTtlMs` option to be a non-negative integer, got -5'],
    [1n, 7200000, 'Expected the `cacheTtlMs` option to be at most 3600000, got 7200000'],
  ])('setGeneration(%p, %p)', async (generation, ttl, expected) => {
    expect(await message(() => channel.setGeneration(generation as bigint, ttl))).toBe(expected);
  });
});

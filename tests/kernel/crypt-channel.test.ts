import { isTakakryptError } from '../../src/errors';
import { KernelChannel } from '../../src/kernel/channel';
import type { CryptReply, CryptRequest } from '../../src/kernel/types';
import { cryptRequest, FakeKernel, flush, nativeError } from './fake-addon';

const refuse = (requestId: number) => ['cryptReply', { requestId, status: -22, reason: 6 }];

function open(): { kernel: FakeKernel; channel: KernelChannel } {
  const kernel = new FakeKernel();
  return { kernel, channel: KernelChannel.open({ addon: kernel.addon() }) };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isTakakryptError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure, got none');
}

describe('crypt requests', () => {
  test('a native request becomes a CryptRequest, Buffers untouched', () => {
    const { kernel, channel } = open();
    const seen: CryptRequest[] = [];
    channel.onCrypt((r) => seen.push(r));
    const native = cryptRequest({ op: 3, inode: 18446744073709551615n, firstUnit: 12, length: 4100, data: Buffer.alloc(4100, 1) });
    kernel.onCrypt?.(native);
    expect(seen).toEqual([{
      id: 8, op: 'ENCRYPT', pid: 300, uid: 1000, inode: '18446744073709551615', firstUnit: 12, length: 4100,
      header: native.header, data: native.data, guardPoint: '/gp', path: '/a.txt', policyName: 'p',
    }]);
    expect(seen[0].data).toBe(native.data);
    expect(kernel.sent).toEqual([]);
  });

  test.each([
    ['no handler is set', (c: KernelChannel) => c, cryptRequest({ requestId: 21 }), 21],
    ['the handler throws', (c: KernelChannel) => c.onCrypt(() => { throw new Error('boom'); }), cryptRequest({ requestId: 22 }), 22],
    ['the op is unknown', (c: KernelChannel) => c.onCrypt(() => undefined), cryptRequest({ requestId: 23, op: 9 }), 23],
    ['the units run past 2^53', (c: KernelChannel) => c.onCrypt(() => undefined), cryptRequest({ requestId: 24, firstUnit: 2 ** 53 - 1 }), 24],
  ])('refused with BAD_REQUEST when %s', async (_name, setup, request, id) => {
    const { kernel, channel } = open();
    setup(channel);
    kernel.onCrypt?.(request);
    await flush();
    expect(kernel.sent).toEqual([refuse(id)]);
  });

  test('a malformed crypt request with an id is refused, a policy one denied', async () => {
    const { kernel, channel } = open();
    const faults: unknown[] = [];
    channel.onFault((f) => faults.push(f));
    kernel.onEvent?.({ fault: 'malformed', code: 'EBADMSG', message: 'malformed crypt request: more than 30 data units', requestId: 31, command: 'CRYPT_REQ' });
    kernel.onEvent?.({ fault: 'malformed', code: 'EBADMSG', message: 'malformed policy request: path attribute is missing', requestId: 32, command: 'POLICY_REQ' });
    await flush();
    expect(kernel.sent).toEqual([refuse(31), ['reply', { requestId: 32, verdict: 0, flags: 0, cacheTtlMs: 0 }]]);
    expect(faults).toHaveLength(2);
  });
});

describe('answerCrypt', () => {
  const data = Buffer.alloc(5000, 3);
  const header = Buffer.alloc(4096, 4);
  test.each([
    [{ id: 5, status: 0, reason: 'NONE', data }, { requestId: 5, status: 0, reason: 0, data }],
    [{ id: 6, status: 0, reason: 'NONE', header }, { requestId: 6, status: 0, reason: 0, header }],
    [{ id: 7, status: -5, reason: 'HEADER_TAMPERED' }, { requestId: 7, status: -5, reason: 3 }],
    [{ id: 8, status: -126, reason: 'KEY_MISSING' }, { requestId: 8, status: -126, reason: 4 }],
  ] as Array<[CryptReply, object]>)('reply %#: sent as the wire fields, Buffers not copied', async (reply, wire) => {
    const { kernel, channel } = open();
    await channel.answerCrypt(reply);
    expect(kernel.sent).toEqual([['cryptReply', wire]]);
    const sent = kernel.sent[0][1] as { data?: Buffer; header?: Buffer };
    if (reply.data) expect(sent.data).toBe(reply.data);
    if (reply.header) expect(sent.header).toBe(reply.header);
  });

  test.each([
    [{ id: 0, status: 0, reason: 'NONE' }, 'Expected the `id` option to be a positive integer, got 0'],
    [{ id: 1, status: 1, reason: 'NONE' }, 'Expected the `status` option to be an integer from -4095 to 0, got 1'],
    [{ id: 1, status: -5, reason: 'NONE' }, 'Expected the `status` option to be 0 for reason NONE, got -5'],
    [{ id: 1, status: 0, reason: 'KEY_MISSING' }, 'Expected the `status` option to be a negative errno for reason KEY_MISSING, got 0'],
    [{ id: 1, status: -5, reason: 'GONE' }, 'Expected the `reason` option to be one of NONE, NOT_ENCRYPTED, HEADER_INVALID, HEADER_TAMPERED, KEY_MISSING, NO_KEY_RULE, BAD_REQUEST, INTERNAL, got "GONE"'],
    [{ id: 1, status: 0, reason: 'NONE', header: Buffer.alloc(4095) }, 'Expected the `header` option to be a Buffer of 4096 bytes, got 4095 bytes'],
    [{ id: 1, status: 0, reason: 'NONE', data: Buffer.alloc(122881) }, 'Expected the `data` option to be a Buffer of 1 to 122880 bytes, got 122881 bytes'],
    [{ id: 1, status: 0, reason: 'NONE', data: 'text' }, 'Expected the `data` option to be a Buffer, got "text"'],
  ])('invalid reply %p', async (reply, message) => {
    const { kernel, channel } = open();
    expect(await failure(channel.answerCrypt(reply as never))).toEqual({ code: 'KERNEL_INVALID_ARGUMENT', message });
    expect(kernel.sent).toEqual([]);
  });

  test('a reply the kernel rejects', async () => {
    const { kernel, channel } = open();
    kernel.failNext.set('cryptReply', nativeError('EINVAL', 'data length does not match the request'));
    expect(await failure(channel.answerCrypt({ id: 5, status: 0, reason: 'NONE', data }))).toEqual({
      code: 'KERNEL_COMMAND_REJECTED', message: 'expected the kernel to accept CRYPT_REPLY, got EINVAL: data length does not match the request',
    });
  });
});

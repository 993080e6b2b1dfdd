import { isTakakryptError } from '../../src/errors';
import { KernelChannel } from '../../src/kernel/channel';
import type { PolicyQuery } from '../../src/kernel/types';
import { memoryLogger } from '../agent/fakes';
import { FakeKernel, flush, nativeError } from './fake-addon';

const deny = (requestId: number) => ['reply', { requestId, verdict: 0, flags: 0, cacheTtlMs: 0 }];

function open(): { kernel: FakeKernel; channel: KernelChannel } {
  const kernel = new FakeKernel();
  return { kernel, channel: KernelChannel.open({ addon: kernel.addon() }) };
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (isTakakryptError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure, got none');
}

describe('opening', () => {
  test.each([
    [nativeError('ENOENT', 'generic netlink family TAKAKRYPT not found: is the takakrypt module loaded?', 'getfamily'),
      'KERNEL_MODULE_NOT_LOADED',
      'expected the generic netlink family TAKAKRYPT, got none: generic netlink family TAKAKRYPT not found: is the takakrypt module loaded?'],
    [nativeError('EMFILE', 'Too many open files', 'socket'),
      'KERNEL_SOCKET_FAILED',
      'expected to open a generic netlink socket, got EMFILE from socket: Too many open files'],
  ])('%#: native %p becomes %s', async (error, code, message) => {
    const kernel = new FakeKernel();
    kernel.openError = error;
    expect(await failure(() => KernelChannel.open({ addon: kernel.addon() }))).toEqual({ code, message });
  });
});

describe('commands', () => {
  test('register announces the protocol version and our pid', async () => {
    const { kernel, channel } = open();
    await channel.register();
    expect(kernel.sent).toEqual([['register', { protocolVersion: 2, agentPid: process.pid, flags: 0, reserved: 0 }]]);
  });

  test.each([
    ['EPERM', 'Operation not permitted', 'KERNEL_PERMISSION_DENIED',
      'expected the kernel to accept REGISTER, got EPERM: Operation not permitted (the agent needs CAP_SYS_ADMIN and CAP_NET_ADMIN)'],
    ['EBUSY', 'another agent is registered', 'KERNEL_AGENT_BUSY',
      'expected the kernel to accept REGISTER, got EBUSY: another agent is registered'],
    ['EPROTONOSUPPORT', 'unsupported protocol version', 'KERNEL_PROTOCOL_MISMATCH',
      'expected the kernel to accept REGISTER, got EPROTONOSUPPORT: unsupported protocol version'],
    ['EINVAL', 'flags and reserved must be zero', 'KERNEL_COMMAND_REJECTED',
      'expected the kernel to accept REGISTER, got EINVAL: flags and reserved must be zero'],
    ['ESHUTDOWN', 'the channel is closed', 'KERNEL_CHANNEL_CLOSED',
      'expected the kernel to accept REGISTER, got ESHUTDOWN: the channel is closed'],
  ])('register refused with %s', async (errno, text, code, message) => {
    const { kernel, channel } = open();
    kernel.failNext.set('register', nativeError(errno, text));
    expect(await failure(channel.register())).toEqual({ code, message });
  });

  test('a reply from a channel that is not the agent', async () => {
    const { kernel, channel } = open();
    kernel.failNext.set('reply', nativeError('EPERM', 'sender is not the registered agent'));
    const answer = { id: 5, permit: true, applyKey: false, audit: false, cacheTtlMs: 0 };
    expect(await failure(channel.answer(answer))).toEqual({
      code: 'KERNEL_NOT_REGISTERED',
      message: 'expected the kernel to accept POLICY_REPLY, got EPERM: sender is not the registered agent',
    });
  });

  test.each([
    [{ id: 5, permit: true, applyKey: true, audit: true, cacheTtlMs: 2000 }, { requestId: 5, verdict: 1, flags: 3, cacheTtlMs: 2000 }],
    [{ id: 6, permit: true, applyKey: false, audit: false, cacheTtlMs: 0 }, { requestId: 6, verdict: 1, flags: 0, cacheTtlMs: 0 }],
    [{ id: 7, permit: false, applyKey: false, audit: true, cacheTtlMs: 3600000 }, { requestId: 7, verdict: 0, flags: 2, cacheTtlMs: 3600000 }],
    [{ id: 8, permit: true, applyKey: true, audit: false, cacheTtlMs: 30000, anyObject: true }, { requestId: 8, verdict: 1, flags: 5, cacheTtlMs: 30000 }],
    [{ id: 9, permit: true, applyKey: false, audit: false, cacheTtlMs: 30000, anyObject: false }, { requestId: 9, verdict: 1, flags: 0, cacheTtlMs: 30000 }],
  ])('answer %p is sent as %p', async (answer, reply) => {
    const { kernel, channel } = open();
    await channel.answer(answer);
    expect(kernel.sent).toEqual([['reply', reply]]);
  });

  test('setGeneration sends the generation and the ttl cap', async () => {
    const { kernel, channel } = open();
    await channel.setGeneration(2n ** 63n, 1000);
    expect(kernel.sent).toEqual([['setGeneration', { generation: 2n ** 63n, maxCacheTtlMs: 1000, reserved: 0 }]]);
  });

  test('close unregisters a registered channel, then closes', async () => {
    const { kernel, channel } = open();
    await channel.register();
    await channel.close();
    await channel.close();
    expect(kernel.sent.map(([kind]) => kind)).toEqual(['register', 'unregister', 'close']);
  });

  test('close of a channel that never registered only closes', async () => {
    const { kernel, channel } = open();
    await channel.close();
    expect(kernel.sent).toEqual([['close', undefined]]);
  });
});

describe('queries', () => {
  test('a request becomes a PolicyQuery', () => {
    const { kernel, channel } = open();
    const seen: PolicyQuery[] = [];
    channel.onQuery((q) => seen.push(q));
    kernel.request({ action: 17, flags: 1, inode: 18446744073709551615n });
    expect(seen).toEqual([{
      id: 5, guardPoint: '/gp', path: '/a.txt', isDirectory: true, action: 'd_mkdir',
      pid: 300, uid: 1000, gid: 1000, groups: [1000, 4], exe: '/usr/bin/cat',
      inode: '18446744073709551615', policyName: 'p', generation: 3n,
    }]);
    expect(kernel.sent).toEqual([]);
  });

  test('without a handler the query is denied', async () => {
    const { kernel } = open();
    kernel.request({ requestId: 11 });
    await flush();
    expect(kernel.sent).toEqual([deny(11)]);
  });

  test('a handler that throws gets the query denied', async () => {
    const { kernel, channel } = open();
    channel.onQuery(() => {
      throw new Error('boom');
    });
    kernel.request({ requestId: 12 });
    await flush();
    expect(kernel.sent).toEqual([deny(12)]);
  });

  test('an action number outside the table is denied', async () => {
    const { kernel, channel } = open();
    const seen: PolicyQuery[] = [];
    channel.onQuery((q) => seen.push(q));
    kernel.request({ requestId: 13, action: 99 });
    await flush();
    expect([seen, kernel.sent]).toEqual([[], [deny(13)]]);
  });

  test('a malformed request with a readable id is denied and reported', async () => {
    const { kernel, channel } = open();
    const faults: unknown[] = [];
    channel.onFault((f) => faults.push(f));
    const fault = { fault: 'malformed' as const, code: 'EBADMSG', message: 'malformed policy request: path attribute is missing', requestId: 14 };
    kernel.onEvent?.(fault);
    await flush();
    expect([faults, kernel.sent]).toEqual([[fault], [deny(14)]]);
  });

  test('an overrun is reported without a reply', async () => {
    const { kernel, channel } = open();
    const faults: unknown[] = [];
    channel.onFault((f) => faults.push(f));
    kernel.onEvent?.({ fault: 'overrun', code: 'ENOBUFS', message: 'the receive queue overflowed' });
    await flush();
    expect([faults.length, kernel.sent]).toEqual([1, []]);
  });

  test('a reply the kernel refused is reported without another reply', async () => {
    const { kernel, channel } = open();
    const faults: unknown[] = [];
    channel.onFault((f) => faults.push(f));
    const fault = { fault: 'rejected' as const, code: 'ENOENT', message: 'the kernel refused CRYPT_REPLY to request 9: unknown or expired request_id' };
    kernel.onEvent?.(fault);
    await flush();
    expect([faults, kernel.sent]).toEqual([[fault], []]);
  });
});

describe('pools of ready-made headers', () => {
  test('serveData hands the table and the low-water mark on; without a mark, 0 (never told)', () => {
    const { kernel, channel } = open();
    channel.serveData(null);
    expect(kernel.lowWater).toBe(0);
    channel.serveData(null, 32);
    expect(kernel.lowWater).toBe(32);
  });

  test('a pool running low reaches the onPoolLow handler with its guard point, policy and count', () => {
    const { kernel, channel } = open();
    const told: Array<[string, string, number]> = [];
    kernel.onPoolLow?.('/gp', 'p', 3);
    channel.onPoolLow((guardPoint, policyName, pooled) => told.push([guardPoint, policyName, pooled]));
    kernel.onPoolLow?.('/gp', 'p', 12);
    expect(told).toEqual([['/gp', 'p', 12]]);
  });

  test('a handler that throws is logged; the receive side goes on', () => {
    const { logger, lines } = memoryLogger();
    const kernel = new FakeKernel();
    const channel = KernelChannel.open({ addon: kernel.addon(), logger });
    channel.onPoolLow(() => { throw new Error('boom'); });
    expect(() => kernel.onPoolLow?.('/gp', 'p', 1)).not.toThrow();
    expect(lines().filter((l) => l.message === 'pool-low handler threw')).toEqual([
      expect.objectContaining({ guardPoint: '/gp', error: 'boom' }),
    ]);
  });
});

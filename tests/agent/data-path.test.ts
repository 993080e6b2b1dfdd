import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../src/agent/daemon';
import { createFileCipher, parseHeader } from '../../src/crypto';
import { keyFileStamp, type KeyMaterial, type KeyProvider } from '../../src/keys/provider';
import { HEADER_POOL_BATCH, HEADER_POOL_LOW_WATER } from '../../src/agent/crypt-handler';
import { loadAddon, type NativeCipherTable } from '../../src/kernel/native';
import type { CryptRequest } from '../../src/kernel/types';
import { memoryProvider, pattern, testOnlyKey } from '../crypto/helpers';
import { attr, cstr, genlMessage } from '../kernel/netlink-bytes';
import { config, fakeWorld, FakeWorld } from './fake-deps';
import { memoryLogger } from './fakes';

let world: FakeWorld;
let gp1: string;
let gp2: string;
beforeEach(() => {
  world = fakeWorld();
  [gp1, gp2] = ['gp1', 'gp2'].map((name) => join(world.dir, name));
  for (const dir of [gp1, gp2]) mkdirSync(dir);
  world.next.config = config(world.dir, [gp1, gp2], ['k1']);
  world.keys = ['k1'];
  world.deps.openKeys = () => memoryProvider([testOnlyKey('k1', 1), testOnlyKey('k1', 3)]);
  world.deps.compile = () => ({
    needsSignatures: false,
    decide: () => world.decide('p1'),
    keyChoice: () => ({ policy: 'p1', keyName: 'k1' }),
  });
});
afterEach(() => rmSync(world.dir, { recursive: true, force: true }));

async function started(): Promise<{ agent: Agent; lines: () => Record<string, unknown>[] }> {
  const { logger, lines } = memoryLogger();
  const agent = new Agent(world.deps, logger);
  await agent.start(await agent.prepare(join(world.dir, 'config.yaml')));
  return { agent, lines };
}

const newHeader = (id: number): CryptRequest => ({
  id, op: 'NEW_HEADER', pid: 0, uid: 0, inode: '5', firstUnit: 0, length: 0, guardPoint: gp1, path: '/a', policyName: 'p1',
});
const settle = () => new Promise((r) => setTimeout(r, 20));

test('a started agent serves crypt requests with the latest key version', async () => {
  const { agent } = await started();
  world.crypt(newHeader(1));
  await settle();
  expect(world.cryptReplies.map((r) => [r.id, r.status, r.reason])).toEqual([[1, 0, 'NONE']]);
  expect(parseHeader(world.cryptReplies[0].header as Buffer).keyVersion).toBe(3);
  await agent.stop(false);
});

test.each([
  ['stop', false, ['sync GP1', 'sync GP2', 'umount GP2', 'umount GP1', 'close']],
  ['stop --keep-mounts', true, ['sync GP1', 'sync GP2', 'close']],
])('%s flushes every guard point while still registered', async (_name, keepMounts, calls) => {
  const { agent } = await started();
  world.calls.length = 0;
  await agent.stop(keepMounts);
  expect(world.calls).toEqual(calls.map((c) => c.replace('GP1', gp1).replace('GP2', gp2)));
});

test('a flush that fails is logged and the others go on', async () => {
  const { agent, lines } = await started();
  world.syncFails.add(gp1);
  world.calls.length = 0;
  await agent.stop(true);
  expect(world.calls).toEqual([`sync ${gp1}`, `sync ${gp2}`, 'close']);
  expect(lines().filter((l) => l.message === 'guard point flush failed')).toEqual([
    expect.objectContaining({ level: 'warn', path: gp1, error: `syncfs of ${gp1} failed: EIO` }),
  ]);
});

test('after a lost channel nothing is flushed (nothing could encrypt)', async () => {
  const { agent } = await started();
  world.lose('ENOBUFS: socket failed');
  world.calls.length = 0;
  await agent.stop(true);
  expect(world.calls).toEqual(['close']);
});

test('a reload empties the cipher cache: the next data request opens its header from the new key store', async () => {
  const { agent } = await started();
  world.crypt(newHeader(1));
  await settle();
  const header = world.cryptReplies[0].header as Buffer;
  await agent.reload(await agent.prepare(join(world.dir, 'config.yaml')));
  let fetched = 0;
  const provider = memoryProvider([testOnlyKey('k1', 3)]);
  world.deps.openKeys = () => ({ ...provider, getKey: (n, v) => { fetched += 1; return provider.getKey(n, v); } });
  await agent.reload(await agent.prepare(join(world.dir, 'config.yaml')));
  world.crypt({ ...newHeader(2), op: 'DECRYPT', header, data: Buffer.alloc(16), length: 16 });
  await settle();
  expect([world.cryptReplies[1].reason, fetched]).toEqual(['NONE', 1]);
  await agent.stop(false);
});

describe('the addon answers the data requests of files the agent opened', () => {
  const { codec, constants } = loadAddon();
  const U = 4096;
  // The CRYPT_REQ message the kernel would send for `request`.
  const message = (request: CryptRequest): Buffer => {
    const units = [];
    for (let off = 0; off < request.length; off += U) units.push(attr(constants.attributes.DATA, (request.data as Buffer).subarray(off, off + U)));
    return genlMessage(0x21, constants.commands.CRYPT_REQ, [
      attr(constants.attributes.CRYPT_REQ, codec.encodeCryptReq({
        requestId: request.id, op: constants.cryptOps[request.op], pid: 0, uid: 0, inode: 5n, firstUnit: BigInt(request.firstUnit), length: request.length, reserved: 0,
      })),
      attr(constants.attributes.FILE_HEADER, request.header as Buffer), attr(constants.attributes.GUARD_POINT, cstr(gp1)), ...units,
    ]);
  };

  test('the channel gets the table; a new file is in it and its units come out as the agent would make them', async () => {
    const { agent } = await started();
    const table = world.dataTable as NativeCipherTable;
    expect([table === null, table.size]).toEqual([false, 0]);
    world.crypt(newHeader(1));
    await settle();
    expect(table.size).toBe(1);
    const header = world.cryptReplies[0].header as Buffer;
    const plain = pattern(2 * U + 100, 21);
    const request: CryptRequest = { ...newHeader(2), op: 'ENCRYPT', header, firstUnit: 3, length: plain.length, data: Buffer.from(plain) };
    const served = codec.serveCryptMessage(table, message(request));
    world.crypt(request);
    await settle();
    const byAgent = world.cryptReplies[1].data as Buffer;
    expect(byAgent.equals(plain)).toBe(false);
    expect(served.reply?.equals(codec.encodeCryptReplyMessage(0x21, { requestId: 2, status: 0, reason: 0, data: byAgent }))).toBe(true);
    expect(agent.describe().dataPath).toEqual({ filesOpen: 1, servedInAddon: 0, headersOpenedInAddon: 0 });
    await agent.stop(false);
    expect(table.size).toBe(0);
  });

  test('a reload empties the table: no key outlives the key store it came from', async () => {
    const { agent } = await started();
    world.crypt(newHeader(1));
    await settle();
    const table = world.dataTable as NativeCipherTable;
    const header = world.cryptReplies[0].header as Buffer;
    const request: CryptRequest = { ...newHeader(2), op: 'DECRYPT', header, length: U, data: pattern(U, 22) };
    expect(codec.serveCryptMessage(table, message(request)).served).toBe('yes');
    await agent.reload(await agent.prepare(join(world.dir, 'config.yaml')));
    expect([table.size, codec.serveCryptMessage(table, message(request)).served]).toEqual([0, 'no']);
    await agent.stop(false);
  });
});

describe('keys the agent fetched let the addon open other headers', () => {
  const { codec, constants } = loadAddon();
  const U = 4096;
  const decrypt = (id: number, header: Buffer, data: Buffer): Buffer => genlMessage(0x21, constants.commands.CRYPT_REQ, [
    attr(constants.attributes.CRYPT_REQ, codec.encodeCryptReq({ requestId: id, op: constants.cryptOps.DECRYPT, pid: 0, uid: 0, inode: 5n, firstUnit: 0n, length: data.length, reserved: 0 })),
    attr(constants.attributes.FILE_HEADER, header), attr(constants.attributes.GUARD_POINT, cstr(gp1)), attr(constants.attributes.DATA, data),
  ]);
  let keyFile: string;
  // A store whose keys come from a file, as the local key store's do.
  const fileProvider = (keys: KeyMaterial[]): KeyProvider => {
    const inner = memoryProvider(keys);
    return {
      ...inner,
      getKey: async (n, v) => ({ ...(await inner.getKey(n, v)), source: { path: keyFile, stamp: keyFileStamp(lstatSync(keyFile, { bigint: true })) } }),
    };
  };
  beforeEach(() => {
    keyFile = join(world.dir, 'k1.key');
    writeFileSync(keyFile, 'stands for the key file', { mode: 0o600 });
    world.deps.openKeys = () => fileProvider([testOnlyKey('k1', 1), testOnlyKey('k1', 3)]);
  });

  test('after the agent opens one file of a key version, the addon opens the next itself; status counts them', async () => {
    const { agent } = await started();
    const table = world.dataTable as NativeCipherTable;
    const a = createFileCipher(testOnlyKey('k1', 1));
    const b = createFileCipher(testOnlyKey('k1', 1));
    const plain = pattern(U, 24);
    expect(codec.serveCryptMessage(table, decrypt(1, b.header, b.cipher.encryptUnits(0, plain))).served).toBe('no');
    world.crypt({ ...newHeader(2), op: 'DECRYPT', header: a.header, length: U, data: a.cipher.encryptUnits(0, plain) });
    await settle();
    expect(world.cryptReplies.map((r) => [r.reason, (r.data as Buffer).equals(plain)])).toEqual([['NONE', true]]);
    expect(table.keysAllowed.keys).toBe(1);
    const served = codec.serveCryptMessage(table, decrypt(3, b.header, b.cipher.encryptUnits(0, plain)));
    expect(served.reply?.equals(codec.encodeCryptReplyMessage(0x21, { requestId: 3, status: 0, reason: 0, data: plain }))).toBe(true);
    expect(agent.describe().dataPath).toEqual({ filesOpen: 2, servedInAddon: 0, headersOpenedInAddon: 1 });
    await agent.stop(false);
    expect(table.keysAllowed.keys).toBe(0);
  });

  test('a new file\'s key (latest version) is allowed too; a reload forgets it', async () => {
    const { agent } = await started();
    const table = world.dataTable as NativeCipherTable;
    world.crypt(newHeader(1));
    await settle();
    const other = createFileCipher(testOnlyKey('k1', 3));
    expect(codec.serveCryptMessage(table, decrypt(2, other.header, Buffer.alloc(16, 1))).served).toBe('yes');
    await agent.reload(await agent.prepare(join(world.dir, 'config.yaml')));
    expect(table.keysAllowed.keys).toBe(0);
    expect(codec.serveCryptMessage(table, decrypt(3, createFileCipher(testOnlyKey('k1', 3)).header, Buffer.alloc(16, 1))).served).toBe('no');
    await agent.stop(false);
  });

  test('a key fetched from the store a reload replaced is not allowed', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const slow = fileProvider([testOnlyKey('k1', 1)]);
    world.deps.openKeys = () => ({ ...slow, getKey: async (n, v) => { await gate; return slow.getKey(n, v); } });
    const { agent } = await started();
    const table = world.dataTable as NativeCipherTable;
    const a = createFileCipher(testOnlyKey('k1', 1));
    world.crypt({ ...newHeader(2), op: 'DECRYPT', header: a.header, length: 16, data: Buffer.alloc(16, 1) });
    await settle();
    world.deps.openKeys = () => fileProvider([testOnlyKey('k1', 1)]);
    await agent.reload(await agent.prepare(join(world.dir, 'config.yaml')));
    release();
    await settle();
    expect(world.cryptReplies.map((r) => r.reason)).toEqual(['NONE']);
    expect(table.keysAllowed.keys).toBe(0);
    await agent.stop(false);
  });

  test('a store whose keys name no file lets the addon open nothing', async () => {
    world.deps.openKeys = () => memoryProvider([testOnlyKey('k1', 1)]);
    const { agent } = await started();
    const table = world.dataTable as NativeCipherTable;
    const a = createFileCipher(testOnlyKey('k1', 1));
    world.crypt({ ...newHeader(2), op: 'DECRYPT', header: a.header, length: 16, data: Buffer.alloc(16, 1) });
    await settle();
    expect([world.cryptReplies.map((r) => r.reason), table.keysAllowed.keys]).toEqual([['NONE'], 0]);
    await agent.stop(false);
  });
});

// An agent whose policy gives every new file key k1, its table, and a
// NEW_HEADER message of gp1 for the addon to answer from the pool.
async function poolingAgent() {
  world.deps.compile = () => ({
    needsSignatures: false,
    decide: () => world.decide('p1'),
    keyChoice: () => ({ policy: 'p1', keyName: 'k1' }),
    pathFreeKey: () => ({ policy: 'p1', keyName: 'k1' }),
  });
  const { codec, constants } = loadAddon();
  const { agent } = await started();
  const request = genlMessage(0x21, constants.commands.CRYPT_REQ, [
    attr(constants.attributes.CRYPT_REQ, codec.encodeCryptReq({ requestId: 9, op: constants.cryptOps.NEW_HEADER, pid: 0, uid: 0, inode: 5n, firstUnit: 0n, length: 0, reserved: 0 })),
    attr(constants.attributes.GUARD_POINT, cstr(gp1)), attr(constants.attributes.PATH, cstr('/b')), attr(constants.attributes.POLICY_NAME, cstr('p1')),
  ]);
  return { agent, codec, constants, request, table: world.dataTable as NativeCipherTable };
}

test('headers made ahead reach the addon, which answers the next NEW_HEADERs; a reload drops them', async () => {
  const { agent, codec, constants, request, table } = await poolingAgent();
  world.crypt(newHeader(1));
  await settle();
  await new Promise((r) => setTimeout(r, 200));
  expect(table.pooled(gp1, 'p1')).toBe(HEADER_POOL_BATCH);
  const served = codec.serveCryptMessage(table, request);
  expect(served.served).toBe('yes');
  // The reply's header attribute: the last 4096 bytes of the message.
  const header = (served.reply as Buffer).subarray(-4096);
  expect(parseHeader(header).keyVersion).toBe(3);
  // Its cipher is in the table: the file's first data is served there too.
  const data: CryptRequest = { ...newHeader(10), op: 'ENCRYPT', header, length: 4096, data: pattern(4096, 23) };
  const units = genlMessage(0x21, constants.commands.CRYPT_REQ, [
    attr(constants.attributes.CRYPT_REQ, codec.encodeCryptReq({ requestId: 10, op: constants.cryptOps.ENCRYPT, pid: 0, uid: 0, inode: 5n, firstUnit: 0n, length: 4096, reserved: 0 })),
    attr(constants.attributes.FILE_HEADER, header), attr(constants.attributes.GUARD_POINT, cstr(gp1)), attr(constants.attributes.DATA, data.data as Buffer),
  ]);
  expect(codec.serveCryptMessage(table, units).served).toBe('yes');
  await agent.reload(await agent.prepare(join(world.dir, 'config.yaml')));
  expect([table.pooled(gp1, 'p1'), codec.serveCryptMessage(table, request).served]).toEqual([0, 'no']);
  await agent.stop(false);
});

test('a pool the channel reports low is stocked again without a NEW_HEADER reaching the agent', async () => {
  const { agent, codec, request, table } = await poolingAgent();
  expect(world.lowWater).toBe(HEADER_POOL_LOW_WATER);
  expect(HEADER_POOL_LOW_WATER).toBeLessThan(HEADER_POOL_BATCH);
  world.crypt(newHeader(1));
  await settle();
  await new Promise((r) => setTimeout(r, 200));
  expect(table.pooled(gp1, 'p1')).toBe(HEADER_POOL_BATCH);
  // Three NEW_HEADERs answered from the pool, as the channel would: each takes one header and its spares.
  for (let i = 0; i < 3; i++) expect(codec.serveCryptMessage(table, request).served).toBe('yes');
  const left = table.pooled(gp1, 'p1');
  expect(left).toBeLessThan(HEADER_POOL_LOW_WATER);
  world.poolLow(gp1, 'p1', left);
  await settle();
  await new Promise((r) => setTimeout(r, 200));
  // Stocked again; the agent answered only the first NEW_HEADER itself.
  expect([table.pooled(gp1, 'p1'), world.cryptReplies.length]).toEqual([HEADER_POOL_BATCH, 1]);
  await agent.stop(false);
});

// bench:crypto, data path part: one ENCRYPT request of 30 data units taken
// the whole way through the agent as the kernel's message would be: the
// addon's decoder, the request check, the crypt handler (cached cipher,
// in place), the reply check and the reply encoder. Prints numbers only.
import { randomBytes } from 'node:crypto';
import { CipherCache } from '../agent/cipher-cache';
import { createCryptHandler } from '../agent/crypt-handler';
import { toCryptReply, toCryptRequest } from '../kernel/crypt';
import { loadAddon, type NativeAddon } from '../kernel/native';
import type { CryptReply } from '../kernel/types';
import type { KeyProvider } from '../keys/provider';
import { nullLogger } from '../log/logger';

/** MB/s (10^6 bytes) of plaintext per CPU second and per wall second. */
export interface PathResult {
  runBytes: number;
  mbPerSecond: number;
  mbPerWallSecond: number;
}

// One netlink attribute: length, type, payload, padding to 4 bytes.
function attr(type: number, payload: Buffer): Buffer {
  const out = Buffer.alloc((4 + payload.length + 3) & ~3);
  out.writeUInt16LE(4 + payload.length, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

// The CRYPT_REQ message the kernel would send for `data` under `header`.
function requestMessage(addon: NativeAddon, header: Buffer, data: Buffer): Buffer {
  const { attributes: A, dataUnitSize } = addon.constants;
  const fixed = addon.codec.encodeCryptReq({
    requestId: 1, op: addon.constants.cryptOps.ENCRYPT, pid: 1, uid: 0, inode: 12n, firstUnit: 0n, length: data.length, reserved: 0,
  });
  const units: Buffer[] = [];
  for (let off = 0; off < data.length; off += dataUnitSize) units.push(attr(A.DATA, data.subarray(off, off + dataUnitSize)));
  const body = Buffer.concat([
    attr(A.CRYPT_REQ, fixed), attr(A.FILE_HEADER, header), attr(A.GUARD_POINT, Buffer.from('/bench\0')),
    attr(A.PATH, Buffer.from('/file\0')), ...units,
  ]);
  const msg = Buffer.alloc(20 + body.length);
  msg.writeUInt32LE(msg.length, 0);
  msg.writeUInt16LE(0x20, 4);
  msg.writeUInt8(addon.constants.commands.CRYPT_REQ, 16);
  msg.writeUInt8(1, 17);
  body.copy(msg, 20);
  return msg;
}

/** Measure the 30-unit ENCRYPT round trip for about `seconds`. */
export async function measureCryptPath(seconds: number): Promise<PathResult> {
  const addon = loadAddon();
  const material = randomBytes(32);
  const keys: KeyProvider = {
    getKey: async (name, version) => ({ name, version: version ?? 1, material: Buffer.from(material) }),
    list: async () => [],
  };
  let last: CryptReply | null = null;
  const cache = new CipherCache();
  const handler = createCryptHandler({
    snapshot: () => ({ engine: { needsSignatures: false, decide: () => { throw new Error('not used'); }, keyChoice: () => ({ policy: 'bench', keyName: 'bench' }) }, cacheTtlMs: 0 }),
    keys: () => keys,
    answer: (reply) => { last = reply; },
    audit: { record: () => undefined },
    cache,
    logger: nullLogger(),
  });
  await handler({ id: 1, op: 'NEW_HEADER', pid: 1, uid: 0, inode: '12', firstUnit: 0, length: 0, guardPoint: '/bench', path: '/file', policyName: 'bench' });
  const header = (last as CryptReply | null)?.header;
  if (header === undefined) throw new Error('expected a header from NEW_HEADER, got none');
  const runBytes = addon.constants.maxRunUnits * addon.constants.dataUnitSize;
  const message = requestMessage(addon, header, randomBytes(runBytes));

  // Each request gets its own event-loop turn, as it does when it comes
  // from the channel; that is also when the addon's finalizers hand the
  // data blocks back to its pool.
  const once = async (): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    const request = toCryptRequest(addon.codec.decodeCryptRequestMessage(message), addon.constants);
    if (typeof request === 'string') throw new Error(request);
    await handler(request);
    addon.codec.encodeCryptReplyMessage(0x20, toCryptReply(last, addon.constants));
  };
  for (let i = 0; i < 20; i++) await once();
  let bytes = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < stop) {
    await once();
    bytes += runBytes;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  cache.clear();
  material.fill(0);
  return {
    runBytes,
    mbPerSecond: bytes / ((cpu.user + cpu.system) / 1e6) / 1e6,
    mbPerWallSecond: bytes / (Number(now - start) / 1e9) / 1e6,
  };
}

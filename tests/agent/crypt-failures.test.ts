import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CipherCache } from '../../src/agent/cipher-cache';
import { createCryptHandler } from '../../src/agent/crypt-handler';
import { DATA_UNIT_SIZE, HEADER_SIZE, OFFSET } from '../../src/crypto';
import type { CryptReply, CryptRequest } from '../../src/kernel/types';
import { pattern } from '../crypto/helpers';
import { crypt, cryptWorld, engine, GUARD_POINT, unitsRequest } from './crypt-world';
import { memoryLogger } from './fakes';

const U = DATA_UNIT_SIZE;
const EIO = -5;
const EINVAL = -22;
const ENOKEY = -126;

// Change one header byte of a copy (or write a 32-bit value at `offset`).
function altered(header: Buffer, offset: number, value?: number): Buffer {
  const copy = Buffer.from(header);
  if (value === undefined) copy[offset] ^= 0x01;
  else copy.writeUInt32LE(value, offset);
  return copy;
}

type Case = [string, (header: Buffer) => CryptRequest, number, string, string];
const open = (header: Buffer, length = HEADER_SIZE): CryptRequest => crypt({ op: 'OPEN_HEADER', header, length });

describe('every failure is answered with its reason, audited and logged', () => {
  test.each<Case>([
    ['a short header', (h) => open(h, 100), EIO, 'NOT_ENCRYPTED', 'the lower file has 100 header bytes, expected 4096: it holds plaintext'],
    ['no magic', () => open(Buffer.alloc(HEADER_SIZE)), EIO, 'NOT_ENCRYPTED', 'expected the 4096-byte header starting with magic 89544b525950540a, got none: the file holds plaintext'],
    ['a format version from the future', (h) => open(altered(h, OFFSET.version, 2)), EIO, 'HEADER_INVALID', 'expected format version 1, got 2'],
    ['a reserved byte set', (h) => open(altered(h, 200)), EIO, 'HEADER_INVALID', 'expected reserved header bytes 128..4063 to be zero, got a non-zero byte at offset 200'],
    ['an altered MAC', (h) => open(altered(h, OFFSET.mac)), EIO, 'HEADER_TAMPERED', 'file header failed verification (HMAC mismatch)'],
    ['an altered nonce', (h) => open(altered(h, OFFSET.nonce)), EIO, 'HEADER_TAMPERED', 'file header failed verification (key check mismatch: key k1 version 2 in the key store is not the key the file names)'],
    ['a key version not in the store', (h) => open(altered(h, OFFSET.keyVersion, 9)), ENOKEY, 'KEY_MISSING', 'key k1 version 9 is not in the key store'],
    ['an ENCRYPT under an altered MAC', (h) => unitsRequest('ENCRYPT', altered(h, OFFSET.mac + 31), pattern(U)), EIO, 'HEADER_TAMPERED', 'file header failed verification (HMAC mismatch)'],
    ['a DECRYPT past the last unit the format allows', (h) => unitsRequest('DECRYPT', h, pattern(U), 2 ** 41), EINVAL, 'BAD_REQUEST', 'expected data unit indexes from 0 to 2199023255550, got 2199023255552..2199023255552'],
    ['a DECRYPT the addon began and OpenSSL failed', (h) => ({ ...unitsRequest('DECRYPT', h, pattern(2 * U), 4), failure: 'AES-256-XTS data unit failed: no reason given' }), EIO, 'INTERNAL', 'internal error: expected OpenSSL to process data units 4..5, got AES-256-XTS data unit failed: no reason given'],
    ['a new file under a key the store lacks', () => crypt({ path: '/x.gone' }), ENOKEY, 'KEY_MISSING', 'key nokey is not in the key store'],
    ['a new file the key rules leave in the clear', () => crypt({ path: '/notes.txt' }), ENOKEY, 'NO_KEY_RULE', 'policy p has no key rule with a key for /notes.txt'],
    ['a new file in an unknown guard point and policy', () => crypt({ guardPoint: '/elsewhere', policyName: 'q' }), ENOKEY, 'NO_KEY_RULE', 'guard point /elsewhere has no policy in the configuration, and policy=q names none either'],
  ])('%s', async (_name, build, status, reason, words) => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({ id: 1 }))).header as Buffer;
    const request = { ...build(header), id: 9 };
    expect(await world.handle(request)).toEqual({ id: 9, status, reason });

    expect(world.audits).toHaveLength(1);
    const { request: audited, decision } = world.audits[0];
    expect([audited.guardPoint, audited.path, audited.uid, audited.pid]).toEqual([request.guardPoint, request.path, 1000, 0]);
    expect([decision.permit, decision.audit, decision.reason]).toEqual([false, true, `${request.op} failed (${reason}): ${words}`]);

    const warn = world.logLines().filter((l) => l.level === 'warn');
    expect(warn).toEqual([expect.objectContaining({
      message: 'crypt request failed', requestId: 9, op: request.op, reason, guardPoint: request.guardPoint, file: request.path, error: words,
    })]);
  });

  test('a file is audited by its path, or by its inode when the kernel sent none', async () => {
    const world = await cryptWorld();
    const reply = await world.handle(unitsRequest('DECRYPT', Buffer.alloc(HEADER_SIZE), pattern(10)));
    expect([reply.reason, world.audits[0].request.path]).toEqual(['NOT_ENCRYPTED', '/sales/q1.db']);
    const bare = await world.handle({ ...unitsRequest('DECRYPT', Buffer.alloc(HEADER_SIZE), pattern(10)), path: '', inode: '4242' });
    expect([bare.reason, world.audits[1].request.path]).toEqual(['NOT_ENCRYPTED', 'inode 4242']);
  });

  test('the audit record names the task from /proc', async () => {
    const world = await cryptWorld();
    const proc = join(world.store.path, '..', 'proc', '321');
    mkdirSync(proc, { recursive: true });
    writeFileSync(join(proc, 'status'), 'Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n');
    symlinkSync('/usr/bin/cat', join(proc, 'exe'));
    await world.handle({ ...open(Buffer.alloc(HEADER_SIZE), 10), pid: 321 });
    expect([world.audits[0].request.gid, world.audits[0].request.exe, world.audits[0].request.action]).toEqual([100, '/usr/bin/cat', 'f_rd']);
  });

  test('no key material reaches the log or the audit records', async () => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({}))).header as Buffer;
    await world.handle(open(altered(header, OFFSET.mac)));
    await world.handle(crypt({ path: '/x.gone' }));
    const text = JSON.stringify([world.logLines(), world.audits]);
    for (const version of [1, 2]) {
      const key = await world.store.getKey('k1', version);
      expect(text.includes(key.material.toString('hex'))).toBe(false);
      expect(text.includes(key.material.toString('base64'))).toBe(false);
      key.material.fill(0);
    }
  });
});

describe('the handler never throws', () => {
  type Over = { answer?: (r: CryptReply) => void; record?: () => void; keys?: () => null; snapshot?: () => never };
  function handlerWith(over: Over) {
    const { logger, lines } = memoryLogger();
    const replies: CryptReply[] = [];
    const handler = createCryptHandler({
      snapshot: over.snapshot ?? (() => ({ engine: engine(), cacheTtlMs: 0 })),
      keys: over.keys ?? (() => null),
      answer: over.answer ?? ((r) => { replies.push(r); }),
      audit: { record: over.record ?? (() => undefined) },
      cache: new CipherCache(2),
      logger,
    });
    return { handler, lines, replies };
  }

  test('without a key store a new file is KEY_MISSING', async () => {
    const { handler, replies } = handlerWith({});
    await handler(crypt({ id: 12 }));
    expect(replies).toEqual([{ id: 12, status: ENOKEY, reason: 'KEY_MISSING' }]);
  });

  test('anything unexpected is INTERNAL', async () => {
    const { handler, replies, lines } = handlerWith({ snapshot: () => { throw new Error('expected a loaded policy, found none'); } });
    await handler(crypt({ id: 15 }));
    expect(replies).toEqual([{ id: 15, status: EIO, reason: 'INTERNAL' }]);
    expect(lines().filter((l) => l.level === 'warn')).toEqual([expect.objectContaining({
      reason: 'INTERNAL', error: 'internal error: expected a loaded policy, found none',
    })]);
  });

  test('an answer that fails is logged', async () => {
    const { handler, lines } = handlerWith({ answer: () => { throw new Error('channel closed'); } });
    await expect(handler(crypt({ id: 13 }))).resolves.toBeUndefined();
    expect(lines().filter((l) => l.level === 'error')).toEqual([expect.objectContaining({
      message: 'crypt reply not delivered', requestId: 13, error: 'channel closed',
    })]);
  });

  test('an audit sink that fails is logged and the reply still goes', async () => {
    const { handler, lines, replies } = handlerWith({ record: () => { throw new Error('disk full'); } });
    await handler(crypt({ id: 14, guardPoint: GUARD_POINT }));
    expect(replies).toEqual([{ id: 14, status: ENOKEY, reason: 'KEY_MISSING' }]);
    expect(lines().filter((l) => l.level === 'error')).toEqual([expect.objectContaining({ message: 'audit record not written', error: 'disk full' })]);
  });
});

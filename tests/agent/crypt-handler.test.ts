import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileCipher, DATA_UNIT_SIZE, EncryptedFile, HEADER_SIZE, parseHeader } from '../../src/crypto';
import type { KeyProvider } from '../../src/keys/provider';
import { pattern } from '../crypto/helpers';
import { crypt, cryptWorld, GUARD_POINT, unitsRequest } from './crypt-world';

const U = DATA_UNIT_SIZE;

describe('NEW_HEADER', () => {
  test('a header under the latest version of the key the key rule names', async () => {
    const world = await cryptWorld();
    const reply = await world.handle(crypt({}));
    expect([reply.id, reply.status, reply.reason, reply.header?.length, reply.data]).toEqual([3, 0, 'NONE', HEADER_SIZE, undefined]);
    const header = parseHeader(reply.header as Buffer);
    expect([header.keyName, header.keyVersion]).toEqual(['k1', 2]);
    expect(world.fetches).toEqual([['k1', undefined]]);
    expect(world.cache.size).toBe(1);
  });

  test('two new files get different headers', async () => {
    const world = await cryptWorld();
    const a = await world.handle(crypt({ id: 1 }));
    const b = await world.handle(crypt({ id: 2 }));
    expect(a.header?.equals(b.header as Buffer)).toBe(false);
  });

  test.each([['debug', 1], ['info', 0]] as const)('at level %s, a header request formats %d log lines', async (level, lines) => {
    const world = await cryptWorld(16, level);
    const reply = await world.handle(crypt({}));
    expect([reply.status, world.logFormatted(), world.logLines().length]).toEqual([0, lines, lines]);
  });

  test('an unknown guard point falls back to the policy= mount option', async () => {
    const world = await cryptWorld();
    const reply = await world.handle(crypt({ guardPoint: '/mnt/manual', policyName: 'p' }));
    expect([reply.status, reply.reason]).toEqual([0, 'NONE']);
  });
});

describe('round trip and the reference writer', () => {
  test.each([
    ['one whole unit at unit 0', U, 0],
    ['a short single unit', 100, 0],
    ['30 units ending short, at unit 5', 29 * U + 17, 5],
    ['30 whole units at unit 1000', 30 * U, 1000],
  ])('%s: ENCRYPT equals EncryptedFile, DECRYPT gives the plaintext back', async (_name, length, firstUnit) => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({}))).header as Buffer;
    const plaintext = pattern(length, length + firstUnit);

    const encrypted = await world.handle(unitsRequest('ENCRYPT', header, plaintext, firstUnit));
    expect([encrypted.status, encrypted.reason, encrypted.data?.length]).toEqual([0, 'NONE', length]);
    const ciphertext = encrypted.data as Buffer;
    expect(ciphertext.equals(plaintext)).toBe(false);

    // The reference writer, given the same key and nonce, writes the same header and units.
    const parsed = parseHeader(header);
    const key = await world.store.getKey(parsed.keyName, parsed.keyVersion);
    const lower = join(mkdtempSync(join(tmpdir(), 'tk-ref-')), 'lower');
    const file = EncryptedFile.create(lower, key, { nonce: parsed.nonce });
    key.material.fill(0);
    file.write(firstUnit * U, plaintext);
    file.close();
    const bytes = readFileSync(lower);
    expect(bytes.subarray(0, HEADER_SIZE).equals(header)).toBe(true);
    expect(bytes.subarray(HEADER_SIZE + firstUnit * U).equals(ciphertext)).toBe(true);

    const decrypted = await world.handle(unitsRequest('DECRYPT', header, ciphertext, firstUnit));
    expect(decrypted.data?.equals(plaintext)).toBe(true);
  });

  test('the reply carries the request Buffer itself, transformed in place', async () => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({}))).header as Buffer;
    const request = unitsRequest('ENCRYPT', header, pattern(2 * U));
    const reply = await world.handle(request);
    expect(reply.data).toBe(request.data);
  });
});

describe('the cipher cache', () => {
  test('data requests after NEW_HEADER or OPEN_HEADER fetch no key', async () => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({}))).header as Buffer;
    await world.handle(unitsRequest('ENCRYPT', header, pattern(U)));
    await world.handle(crypt({ op: 'OPEN_HEADER', header, length: HEADER_SIZE }));
    expect(world.fetches).toEqual([['k1', undefined]]);
  });

  test('a header not cached is opened from the store at its own version, then cached', async () => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({}))).header as Buffer;
    const ciphertext = (await world.handle(unitsRequest('ENCRYPT', header, pattern(3 * U)))).data as Buffer;
    world.cache.clear();
    const opened = await world.handle(crypt({ op: 'OPEN_HEADER', header, length: HEADER_SIZE }));
    const decrypted = await world.handle(unitsRequest('DECRYPT', header, ciphertext));
    expect([opened.status, opened.reason, decrypted.data?.equals(pattern(3 * U))]).toEqual([0, 'NONE', true]);
    expect(world.fetches).toEqual([['k1', undefined], ['k1', 2]]);
  });

  test.each([['on the agent thread', U], ['on a pool thread', 30 * U]])('a cache cleared (reload, stop) while a request is in flight %s does not dispose its cipher under it', async (_where, length) => {
    const world = await cryptWorld();
    const header = (await world.handle(crypt({}))).header as Buffer;
    const expected = Buffer.from((await world.handle(unitsRequest('ENCRYPT', header, pattern(length)))).data as Buffer);
    const pending = world.handle(unitsRequest('ENCRYPT', header, pattern(length)));
    world.cache.clear();
    const reply = await pending;
    expect([reply.status, reply.reason, reply.data?.equals(expected)]).toEqual([0, 'NONE', true]);
  });

  test('eviction disposes: a file pushed out is opened again from the store', async () => {
    const world = await cryptWorld(1);
    const first = (await world.handle(crypt({ id: 1 }))).header as Buffer;
    await world.handle(crypt({ id: 2, path: '/other.db' }));
    expect(world.cache.size).toBe(1);
    const reply = await world.handle(unitsRequest('ENCRYPT', first, pattern(U)));
    expect([reply.status, world.fetches]).toEqual([0, [['k1', undefined], ['k1', undefined], ['k1', 2]]]);
  });
});

describe('keys handed on for the addon', () => {
  test('every key fetched (a new file\'s, a header\'s own version) is handed on with the store it came from', async () => {
    const handed: Array<[string, number, KeyProvider]> = [];
    const world = await cryptWorld(16, 'debug', { allowKey: (key, from) => { handed.push([key.name, key.version, from]); } });
    const header = (await world.handle(crypt({}))).header as Buffer;
    world.cache.clear();
    await world.handle(unitsRequest('DECRYPT', header, pattern(U, 31)));
    const v1 = await world.store.getKey('k1', 1);
    await world.handle(unitsRequest('DECRYPT', createFileCipher(v1).header, pattern(U, 32)));
    expect(handed.map(([n, v]) => [n, v])).toEqual([['k1', 2], ['k1', 2], ['k1', 1]]);
    expect(handed.every(([, , from]) => from === world.provider)).toBe(true);
  });

  test('a hand-over that throws is logged at warn; the request is still served', async () => {
    const world = await cryptWorld(16, 'debug', { allowKey: () => { throw new TypeError('expected allowKey(...)'); } });
    const reply = await world.handle(crypt({}));
    expect([reply.status, reply.reason, reply.header?.length]).toEqual([0, 'NONE', HEADER_SIZE]);
    expect(world.logLines().filter((l) => l.message === 'key not handed to the addon')).toEqual([
      expect.objectContaining({ level: 'warn', key: 'k1', version: 2, error: 'expected allowKey(...)' }),
    ]);
  });
});

test('guard point and path reach the key rules', async () => {
  const world = await cryptWorld();
  const reply = await world.handle(crypt({ guardPoint: GUARD_POINT, path: '/deep/down/x.db' }));
  expect(parseHeader(reply.header as Buffer).keyName).toBe('k1');
});

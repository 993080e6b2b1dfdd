// Headers made ahead: after a NEW_HEADER, or when the channel says the pool
// runs low, the handler has the addon fill the pool of a guard point and
// policy, when every path gets the same key,
// with headers under the key's latest version (the addon's own side is in
// tests/kernel/data-path-native.test.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CipherCache } from '../../src/agent/cipher-cache';
import { createCryptHandler, HEADER_POOL_BATCH, type HeaderPool } from '../../src/agent/crypt-handler';
import type { DecisionEngine } from '../../src/agent/handler';
import type { CryptReply, CryptRequest } from '../../src/kernel/types';
import { LocalKeyStore } from '../../src/keys/local-store';
import type { KeyProvider } from '../../src/keys/provider';
import { compilePolicy } from '../../src/policy/compile';
import { keyChoiceFor, pathFreeKeyChoice } from '../../src/policy/decide';
import { config, GUARD_POINT, keyRule, resolver, resourceSet, rule } from '../policy/helpers';
import { memoryLogger } from './fakes';

function engineWith(keyRules: ReturnType<typeof keyRule>[]): DecisionEngine {
  const compiled = compilePolicy(config({
    rules: [rule({ effects: ['permit', 'applykey'] })],
    resourceSets: [resourceSet('db', [['/', '*.db', true]])],
    keyRules,
  }), resolver);
  return {
    needsSignatures: false,
    decide: () => { throw new Error('not used'); },
    keyChoice: (gp, policyName, path) => keyChoiceFor(compiled, gp, policyName, path),
    pathFreeKey: (gp, policyName) => pathFreeKeyChoice(compiled, gp, policyName),
  };
}

interface MakeCall { gp: string; policy: string; name: string; version: number; material: string; count: number; buffer: Buffer }

interface PoolWorld {
  made: MakeCall[];
  /** The hex of k1's latest material. */
  latest: string;
  replies: CryptReply[];
  cache: CipherCache;
  epoch: { value: number };
  /** Headers new files took from the pool (the test moves it). */
  taken: { value: number };
  handle: (r: CryptRequest) => Promise<void>;
  /** What the channel's onPoolLow calls. */
  refill: (guardPoint: string, policyName: string) => void;
  /** Resolves once the refill scheduled by the last request has run. */
  refilled: () => Promise<void>;
}

async function poolWorld(engine: DecisionEngine, options: { full?: boolean; pooled?: number; onGetKey?: () => void; onMake?: () => void } = {}): Promise<PoolWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tk-pool-'));
  const store = await LocalKeyStore.openOrCreate({ path: join(dir, 'keys') });
  await store.createKey('k1');
  await store.rotateKey('k1');
  const keys: KeyProvider = {
    getKey: (name, version) => { options.onGetKey?.(); return store.getKey(name, version); },
    list: () => store.list(),
  };
  const world: PoolWorld = {
    made: [], latest: (await store.getKey('k1')).material.toString('hex'), replies: [], cache: new CipherCache(64), epoch: { value: 1 }, taken: { value: 0 },
    handle: (r) => handler(r),
    refill: (guardPoint, policyName) => handler.refill(guardPoint, policyName),
    refilled: () => new Promise((resolve) => setImmediate(() => setTimeout(resolve, 50))),
  };
  const pool: HeaderPool = {
    // What the pool held, plus what was made since, minus what new files took.
    pooled: () => (options.full ? HEADER_POOL_BATCH : (options.pooled ?? 0) + world.made.reduce((n, m) => n + m.count, 0) - world.taken.value),
    makeHeaders: (gp, policy, name, version, material, count) => {
      world.made.push({ gp, policy, name, version, material: material.toString('hex'), count, buffer: material });
      options.onMake?.();
      return count;
    },
  };
  const snapshot = { engine, cacheTtlMs: 0 };
  const handler = createCryptHandler({
    snapshot: () => snapshot, keys: () => keys, answer: (reply) => { world.replies.push(reply); },
    audit: { record: () => undefined }, cache: world.cache, logger: memoryLogger('info').logger,
    procRoot: join(dir, 'proc'), pool, epoch: () => world.epoch.value,
  });
  return world;
}

const newHeader = (over: Partial<CryptRequest> = {}): CryptRequest => ({
  id: 3, op: 'NEW_HEADER', pid: 0, uid: 1000, inode: '77', firstUnit: 0, length: 0,
  guardPoint: GUARD_POINT, path: '/a/b.txt', policyName: 'p', ...over,
});

test('one key for every path: the addon makes a batch, 16 at a time, under its latest version; the key is wiped after', async () => {
  const world = await poolWorld(engineWith([keyRule(null, 'k1')]));
  await world.handle(newHeader());
  expect(world.replies.map((r) => r.status)).toEqual([0]);
  await world.refilled();
  expect(world.made.map((m) => [m.gp, m.policy, m.name, m.version, m.count])).toEqual(
    Array.from({ length: HEADER_POOL_BATCH / 16 }, () => [GUARD_POINT, 'p', 'k1', 2, 16]));
  // Every call had the latest version's material; the refill zeroes its copy once done.
  expect(new Set(world.made.map((m) => m.material))).toEqual(new Set([world.latest]));
  expect(world.made[0].buffer.equals(Buffer.alloc(32))).toBe(true);
});

test.each([
  ['the key depends on the path', [keyRule('db', 'k1'), keyRule(null, 'k1')]],
  ['no file gets a key', [keyRule(null, 'clear_key')]],
])('%s: nothing is made ahead', async (_name, keyRules) => {
  const world = await poolWorld(engineWith(keyRules));
  await world.handle(newHeader({ path: '/x.db' }));
  await world.refilled();
  expect(world.made).toHaveLength(0);
});

test('a full pool is not added to', async () => {
  const world = await poolWorld(engineWith([keyRule(null, 'k1')]), { full: true });
  await world.handle(newHeader());
  await world.refilled();
  expect(world.made).toHaveLength(0);
});

test('a reset of the key store while the key is fetched stops the batch', async () => {
  let world: PoolWorld | undefined;
  let calls = 0;
  world = await poolWorld(engineWith([keyRule(null, 'k1')]), {
    // The second fetch is the refill's: a reload happens meanwhile.
    onGetKey: () => { calls += 1; if (calls === 2 && world) world.epoch.value += 1; },
  });
  await world.handle(newHeader());
  await world.refilled();
  expect([calls, world.made.length]).toEqual([2, 0]);
});

test('a reset of the key store between two chunks stops the batch', async () => {
  let world: PoolWorld | undefined;
  world = await poolWorld(engineWith([keyRule(null, 'k1')]), { onMake: () => { if (world) world.epoch.value += 1; } });
  await world.handle(newHeader());
  await world.refilled();
  expect(world.made.map((m) => m.count)).toEqual([16]);
});

test('a failed NEW_HEADER makes nothing ahead', async () => {
  const world = await poolWorld(engineWith([keyRule(null, 'missing')]));
  await world.handle(newHeader());
  await world.refilled();
  expect([world.replies[0].reason, world.made.length]).toEqual(['KEY_MISSING', 0]);
});

describe('told by the channel that a pool runs low', () => {
  test('the pool is stocked up to a batch, under the latest version, with no request reaching the agent', async () => {
    const world = await poolWorld(engineWith([keyRule(null, 'k1')]), { pooled: 20 });
    world.refill(GUARD_POINT, 'p');
    await world.refilled();
    expect(world.made.map((m) => [m.gp, m.policy, m.name, m.version, m.count])).toEqual([
      [GUARD_POINT, 'p', 'k1', 2, 16], [GUARD_POINT, 'p', 'k1', 2, 16], [GUARD_POINT, 'p', 'k1', 2, HEADER_POOL_BATCH - 20 - 32],
    ]);
    expect(world.replies).toEqual([]);
  });

  test('told again while the pool is being stocked: one refill (one key fetch)', async () => {
    let fetches = 0;
    const world = await poolWorld(engineWith([keyRule(null, 'k1')]), { pooled: 0, onGetKey: () => { fetches += 1; } });
    world.refill(GUARD_POINT, 'p');
    world.refill(GUARD_POINT, 'p');
    await world.refilled();
    world.refill(GUARD_POINT, 'p');
    await world.refilled();
    // The third report found the pool full: no fetch for it either.
    expect([fetches, world.made.map((m) => m.count)]).toEqual([1, [16, 16, 16, 16]]);
  });

  test('headers taken while the pool is stocked are made up for, within a bound', async () => {
    let world: PoolWorld | undefined;
    // 10 headers go to new files while the first chunk is made: 44 missing, then 10 more.
    world = await poolWorld(engineWith([keyRule(null, 'k1')]), { pooled: 20, onMake: () => { if (world && world.made.length === 1) world.taken.value += 10; } });
    world.refill(GUARD_POINT, 'p');
    await world.refilled();
    expect(world.made.map((m) => m.count)).toEqual([16, 16, 16, 6]);
    // Taken as fast as made: the refill stops after twice a batch.
    world = await poolWorld(engineWith([keyRule(null, 'k1')]), { pooled: 20, onMake: () => { if (world) world.taken.value += 16; } });
    world.refill(GUARD_POINT, 'p');
    await world.refilled();
    expect(world.made.reduce((n, m) => n + m.count, 0)).toBe(2 * HEADER_POOL_BATCH);
  });

  test('the key depends on the path: nothing is made', async () => {
    const world = await poolWorld(engineWith([keyRule('db', 'k1'), keyRule(null, 'k1')]), { pooled: 3 });
    world.refill(GUARD_POINT, 'p');
    await world.refilled();
    expect(world.made).toHaveLength(0);
  });
});

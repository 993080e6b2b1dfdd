// A data-path world for the crypt handler tests: a real key store in a
// temporary directory (test keys only, random, never printed), a real
// compiled policy with key rules, a recording audit sink and logger.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CipherCache } from '../../src/agent/cipher-cache';
import { createCryptHandler, type CryptHandlerDeps } from '../../src/agent/crypt-handler';
import type { DecisionEngine } from '../../src/agent/handler';
import type { CryptReply, CryptRequest } from '../../src/kernel/types';
import { LocalKeyStore } from '../../src/keys/local-store';
import type { KeyProvider } from '../../src/keys/provider';
import { compilePolicy } from '../../src/policy/compile';
import { decide, keyChoiceFor } from '../../src/policy/decide';
import type { PolicyDecision, PolicyRequest } from '../../src/policy/types';
import { config, GUARD_POINT, keyRule, resolver, resourceSet, rule } from '../policy/helpers';
import { memoryLogger } from './fakes';

export { GUARD_POINT };

/** *.db anywhere under the guard point uses k1; *.gone names a key the store lacks; the rest is clear. */
export function engine(): DecisionEngine {
  const compiled = compilePolicy(config({
    rules: [rule({ effects: ['permit', 'applykey'] })],
    resourceSets: [resourceSet('db', [['/', '*.db', true]]), resourceSet('gone', [['/', '*.gone', true]])],
    keyRules: [keyRule('db', 'k1'), keyRule('gone', 'nokey'), keyRule(null, 'clear_key')],
  }), resolver);
  return {
    needsSignatures: false,
    decide: (request) => decide(compiled, request),
    keyChoice: (gp, policyName, path) => keyChoiceFor(compiled, gp, policyName, path),
  };
}

export interface CryptWorld {
  store: LocalKeyStore;
  /** The key provider the handler fetches from (counts into `fetches`). */
  provider: KeyProvider;
  /** getKey calls that reached the store. */
  fetches: Array<[string, number | undefined]>;
  cache: CipherCache;
  replies: CryptReply[];
  audits: Array<{ request: PolicyRequest; decision: PolicyDecision }>;
  logLines: () => Record<string, unknown>[];
  /** Lines that reached the logger's formats, whatever their level. */
  logFormatted: () => number;
  handle: (request: CryptRequest) => Promise<CryptReply>;
}

/** Key k1 at versions 1 and 2 (2 is the latest), and a handler over it. */
export async function cryptWorld(capacity = 16, logLevel: 'debug' | 'info' = 'debug', extra: Pick<CryptHandlerDeps, 'allowKey'> = {}): Promise<CryptWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tk-crypt-'));
  const store = await LocalKeyStore.openOrCreate({ path: join(dir, 'keys') });
  await store.createKey('k1');
  await store.rotateKey('k1');
  const fetches: Array<[string, number | undefined]> = [];
  const counting: KeyProvider = {
    getKey: (name, version) => {
      fetches.push([name, version]);
      return store.getKey(name, version);
    },
    list: () => store.list(),
  };
  const { logger, lines, formatted } = memoryLogger(logLevel);
  const world: CryptWorld = {
    store, provider: counting, fetches, cache: new CipherCache(capacity), replies: [], audits: [], logLines: lines, logFormatted: formatted,
    handle: async (request) => {
      await handler(request);
      return world.replies[world.replies.length - 1];
    },
  };
  const snapshot = { engine: engine(), cacheTtlMs: 0 };
  const handler = createCryptHandler({
    snapshot: () => snapshot,
    keys: () => counting,
    answer: (reply) => { world.replies.push(reply); },
    audit: { record: (request, decision) => { world.audits.push({ request, decision }); } },
    cache: world.cache,
    logger,
    procRoot: join(dir, 'proc'),
    ...extra,
  });
  return world;
}

/** A request with the fields most cases share; override what a case varies. */
export function crypt(over: Partial<CryptRequest>): CryptRequest {
  return {
    id: 3, op: 'NEW_HEADER', pid: 0, uid: 1000, inode: '77', firstUnit: 0, length: 0,
    guardPoint: GUARD_POINT, path: '/sales/q1.db', policyName: 'p', ...over,
  };
}

/** A data request over `header` and a copy of `data`. */
export function unitsRequest(op: 'ENCRYPT' | 'DECRYPT', header: Buffer, data: Buffer, firstUnit = 0): CryptRequest {
  return crypt({ id: 4, op, header, data: Buffer.from(data), length: data.length, firstUnit });
}

// The data-path handler: one CryptRequest in, one CryptReply out. New
// files get a header under the key their key rule names (latest version);
// existing files are opened from their header; data units are transformed
// in place. Every failure is answered with its reason, audited and logged
// at warn level. It never throws.
import { createFileCipher, fileCipherFromHeader, type FileCipher } from '../crypto/file-cipher';
import { DATA_UNIT_SIZE, HEADER_SIZE } from '../crypto/constants';
import { parseHeader, type FileHeader } from '../crypto/header';
import { createError, isTakakryptError } from '../errors';
import type { CryptReply, CryptRequest } from '../kernel/types';
import type { KeyMaterial, KeyProvider } from '../keys/provider';
import type { Logger } from '../log/logger';
import type { CipherCache } from './cipher-cache';
import { auditEntry, classify, CryptFailure, fileOf, statusFor } from './crypt-failure';
import type { AuditSink, HandlerSnapshot } from './handler';

/** What the crypt handler uses, injected so that tests can replace any of it. */
export interface CryptHandlerDeps {
  /** The current configuration's engine; its keyChoice() applies the key rules. */
  snapshot: () => HandlerSnapshot;
  /** The open key store; null when the agent has none. */
  keys: () => KeyProvider | null;
  answer: (reply: CryptReply) => void | Promise<void>;
  audit: AuditSink;
  cache: CipherCache;
  logger: Logger;
  /** Where task details for audit records are read; /proc by default. */
  procRoot?: string;
  /** Where headers for new files are made ahead (the addon's table); none: every NEW_HEADER here. */
  pool?: HeaderPool;
  /** Changes whenever the key store or the cache is reset: headers made before then are not pooled. */
  epoch?: () => number;
  /** Told of every key version fetched, and the store it came from (the addon then opens other headers of it itself). */
  allowKey?: (key: KeyMaterial, from: KeyProvider) => void;
}

/** Ready-made headers for new files, by guard point and policy name. */
export interface HeaderPool {
  pooled(guardPoint: string, policyName: string): number;
  /** Make `count` headers under the key and stock them with their keys (the addon's table); returns how many. */
  makeHeaders(guardPoint: string, policyName: string, keyName: string, keyVersion: number, material: Buffer, count: number): number;
}

/**
 * Headers kept ready for a guard point whose key rules give every new file
 * the same key: the addon answers NEW_HEADERs from them without the agent,
 * and the pool is stocked up to this many again when it runs low.
 */
export const HEADER_POOL_BATCH = 64;

/** Headers the addon makes in one call while refilling a pool. */
const REFILL_CHUNK = 16;

/** Chunks one refill makes at most, however fast new files take headers meanwhile. */
const REFILL_MAX_CHUNKS = (2 * HEADER_POOL_BATCH) / REFILL_CHUNK;

/** Runs of at least this many bytes (8 data units) are transformed on a libuv pool thread. */
export const POOL_MIN_BYTES = 8 * 4096;

/**
 * Headers left in a pool below which the channel tells the agent
 * (KernelChannel.serveData): half a batch, so the pool is stocked again
 * while new files still find headers in it.
 */
export const HEADER_POOL_LOW_WATER = HEADER_POOL_BATCH / 2;

/** The function given to KernelChannel.onCrypt, and what the channel's onPoolLow calls. */
export interface CryptRequestHandler {
  (request: CryptRequest): Promise<void>;
  /** Stock the pool of `guardPoint` and `policyName` again, unless that is under way. */
  refill(guardPoint: string, policyName: string): void;
}

/** Build the handler given to KernelChannel.onCrypt. */
export function createCryptHandler(deps: CryptHandlerDeps): CryptRequestHandler {
  const refilling = new Set<string>();
  const handler = async (request: CryptRequest): Promise<void> => {
    let reply: CryptReply;
    // Header requests come once per file: worth a debug line. Data
    // requests come per 120 KiB: only their failures are logged. winston
    // streams a line through its formats before any transport checks the
    // level: skip that work when debug is off.
    if ((request.op === 'NEW_HEADER' || request.op === 'OPEN_HEADER') && deps.logger.isLevelEnabled('debug')) {
      deps.logger.debug('crypt header request', {
        requestId: request.id, op: request.op, guardPoint: request.guardPoint, file: fileOf(request), pid: request.pid, uid: request.uid,
      });
    }
    try {
      reply = await serve(request, deps);
      if (request.op === 'NEW_HEADER' && deps.pool !== undefined) {
        scheduleRefill(request.guardPoint, request.policyName, deps, deps.pool, refilling);
      }
    } catch (err) {
      const failure = classify(err);
      reply = { id: request.id, status: statusFor(failure.reason), reason: failure.reason };
      await report(request, failure, deps);
    }
    try {
      await deps.answer(reply);
    } catch (err) {
      // The kernel fails the operation on its own when no answer comes.
      deps.logger.error('crypt reply not delivered', { requestId: request.id, op: request.op, error: (err as Error).message });
    }
  };
  return Object.assign(handler, {
    refill: (guardPoint: string, policyName: string) => {
      if (deps.pool !== undefined) scheduleRefill(guardPoint, policyName, deps, deps.pool, refilling);
    },
  });
}

async function serve(request: CryptRequest, deps: CryptHandlerDeps): Promise<CryptReply> {
  const ok = { id: request.id, status: 0, reason: 'NONE' as const };
  switch (request.op) {
    case 'NEW_HEADER':
      return { ...ok, header: await newHeader(request, deps) };
    case 'OPEN_HEADER':
      if (request.length < HEADER_SIZE) {
        throw new CryptFailure('NOT_ENCRYPTED', `the lower file has ${request.length} header bytes, expected ${HEADER_SIZE}: it holds plaintext`);
      }
      await withCipher(need(request.header, 'file header'), deps, () => undefined);
      return ok;
    case 'ENCRYPT':
    case 'DECRYPT': {
      if (request.failure !== undefined) {
        // The addon began the request itself and OpenSSL failed part-way.
        const last = request.firstUnit + Math.ceil(request.length / DATA_UNIT_SIZE) - 1;
        throw createError('CRYPTO_XTS_FAILED', `expected OpenSSL to process data units ${request.firstUnit}..${last}, got ${request.failure}`, { firstUnit: request.firstUnit, last });
      }
      const data = need(request.data, 'data');
      // A long run's AES work goes to a pool thread, so requests in flight
      // at once (readahead sends several) use every core; the keys are used
      // before the cipher leaves this turn. A short run (a random read) is
      // done here: the hop to the pool would cost it more than it saves.
      const encrypt = request.op === 'ENCRYPT';
      await withCipher(need(request.header, 'file header'), deps, (cipher) => {
        if (data.length >= POOL_MIN_BYTES) {
          return encrypt ? cipher.encryptUnitsAsync(request.firstUnit, data, data) : cipher.decryptUnitsAsync(request.firstUnit, data, data);
        }
        return encrypt ? cipher.encryptUnits(request.firstUnit, data, data) : cipher.decryptUnits(request.firstUnit, data, data);
      });
      return { ...ok, data };
    }
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new CryptFailure('BAD_REQUEST', `expected a ${what} in the request, got none`);
  return value;
}

async function newHeader(request: CryptRequest, deps: CryptHandlerDeps): Promise<Buffer> {
  const { engine } = deps.snapshot();
  const choice = engine.keyChoice?.(request.guardPoint, request.policyName, request.path) ?? { policy: null, keyName: null };
  if (choice.policy === null) {
    throw new CryptFailure('NO_KEY_RULE', `guard point ${request.guardPoint} has no policy in the configuration, and policy=${request.policyName} names none either`);
  }
  if (choice.keyName === null) {
    throw new CryptFailure('NO_KEY_RULE', `policy ${choice.policy} has no key rule with a key for ${fileOf(request)}`);
  }
  const key = await fetchKey(deps, choice.keyName);
  try {
    const { header, cipher } = createFileCipher(key);
    deps.cache.put(header, cipher);
    return header;
  } finally {
    key.material.fill(0);
  }
}

// After a NEW_HEADER the agent answered, or when the channel says a pool
// runs low: make the next HEADER_POOL_BATCH headers of this guard point,
// when its key rules give every path the same key. The key choice and the
// epoch are read together in one turn, after any reload has swapped both;
// a reset while the key is fetched stops the stocking.
function scheduleRefill(guardPoint: string, policyName: string, deps: CryptHandlerDeps, pool: HeaderPool, refilling: Set<string>): void {
  const where = `${guardPoint}\0${policyName}`;
  if (refilling.has(where)) return;
  refilling.add(where);
  setImmediate(() => {
    void refill(guardPoint, policyName, deps, pool)
      .catch((err: unknown) => deps.logger.warn('headers for new files not made ahead', { guardPoint, error: (err as Error).message }))
      .finally(() => refilling.delete(where));
  });
}

async function refill(guardPoint: string, policyName: string, deps: CryptHandlerDeps, pool: HeaderPool): Promise<void> {
  const choice = deps.snapshot().engine.pathFreeKey?.(guardPoint, policyName) ?? null;
  const epoch = deps.epoch?.() ?? 0;
  if (choice === null || choice.keyName === null || pool.pooled(guardPoint, policyName) >= HEADER_POOL_BATCH) return;
  let key: KeyMaterial;
  try {
    key = await fetchKey(deps, choice.keyName);
  } catch (err) {
    deps.logger.warn('headers for new files not made ahead', { guardPoint, policy: choice.policy, error: (err as Error).message });
    return;
  }
  try {
    // The addon makes them, at a fraction of the agent's CPU per header,
    // and its table keeps their keys for the files' ENCRYPTs
    // (docs/AGENT.md). A few at a time: the first reach the pool at once,
    // and requests waiting for this thread go between the chunks. What is
    // missing is counted again before each chunk: new files take headers
    // meanwhile, and a pool-low report during the refill is not acted on.
    for (let chunk = 0; chunk < REFILL_MAX_CHUNKS; chunk++) {
      if ((deps.epoch?.() ?? 0) !== epoch) return;
      const count = Math.min(REFILL_CHUNK, HEADER_POOL_BATCH - pool.pooled(guardPoint, policyName));
      if (count <= 0) return;
      if (pool.makeHeaders(guardPoint, policyName, key.name, key.version, key.material, count) < count) {
        if (chunk === 0) deps.logger.warn('headers for new files not made ahead', { guardPoint, policy: choice.policy, error: `the addon made fewer than ${count} under key ${key.name} version ${key.version}` });
        return;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    key.material.fill(0);
  }
}

/**
 * Run `use` with the cached cipher of `header`, or one opened (and checked)
 * from the key store. `use` runs in the same turn the cipher is taken from
 * the cache: a reload or stop clearing the cache meanwhile cannot dispose
 * it under `use`.
 */
async function withCipher<T>(header: Buffer, deps: CryptHandlerDeps, use: (cipher: FileCipher) => T): Promise<Awaited<T>> {
  const cached = deps.cache.get(header);
  if (cached !== undefined) return await use(cached);
  const parsed = parseHeader(header);
  const key = await fetchKey(deps, parsed.keyName, parsed);
  let cipher: FileCipher;
  try {
    cipher = deps.cache.put(header, fileCipherFromHeader(header, key));
  } catch (err) {
    if (err instanceof CryptFailure) throw err;
    const failure = classify(err);
    throw new CryptFailure(failure.reason, failure.words, parsed.keyName);
  } finally {
    key.material.fill(0);
  }
  return await use(cipher);
}

// Key store failures all mean "no usable key": KEY_MISSING, naming it.
async function fetchKey(deps: CryptHandlerDeps, name: string, header?: FileHeader): Promise<KeyMaterial> {
  const which = header === undefined ? `key ${name}` : `key ${name} version ${header.keyVersion}`;
  const provider = deps.keys();
  if (provider === null) throw new CryptFailure('KEY_MISSING', `${which} is not available: no key store is open`, name);
  let key: KeyMaterial;
  try {
    key = await provider.getKey(name, header?.keyVersion);
  } catch (err) {
    if (isTakakryptError(err, 'KEYS_NOT_FOUND') || isTakakryptError(err, 'KEYS_VERSION_NOT_FOUND')) {
      throw new CryptFailure('KEY_MISSING', `${which} is not in the key store`, name);
    }
    throw new CryptFailure('KEY_MISSING', `${which} could not be read: ${(err as Error).message}`, name);
  }
  try {
    deps.allowKey?.(key, provider);
  } catch (err) {
    // Only the addon's shortcut is lost: this request goes on.
    deps.logger.warn('key not handed to the addon', { key: name, version: key.version, error: (err as Error).message });
  }
  return key;
}

async function report(request: CryptRequest, failure: CryptFailure, deps: CryptHandlerDeps): Promise<void> {
  deps.logger.warn('crypt request failed', {
    requestId: request.id, op: request.op, reason: failure.reason, guardPoint: request.guardPoint,
    file: fileOf(request), uid: request.uid, pid: request.pid, error: failure.words,
  });
  try {
    const policy = policyOf(request, deps);
    const entry = auditEntry(request, failure, policy, deps.procRoot ?? '/proc');
    await deps.audit.record(entry.request, entry.decision);
  } catch (err) {
    deps.logger.error('audit record not written', { requestId: request.id, error: (err as Error).message });
  }
}

function policyOf(request: CryptRequest, deps: CryptHandlerDeps): string {
  try {
    const choice = deps.snapshot().engine.keyChoice?.(request.guardPoint, request.policyName, request.path || '/');
    return choice?.policy ?? request.policyName;
  } catch {
    return request.policyName;
  }
}

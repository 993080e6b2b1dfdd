// A complete fake AgentDeps: configuration from memory, a kernel channel
// that records calls and can deliver queries, an in-memory mount table.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentChannel, AgentDeps } from '../../src/agent/daemon';
import type { Mounter } from '../../src/agent/guard-points';
import type { GuardMount } from '../../src/agent/mounts';
import type { Config } from '../../src/config/types';
import type { CryptReply, CryptRequest, PolicyAnswer, PolicyQuery } from '../../src/kernel/types';
import type { NativeCipherTable } from '../../src/kernel/native';
import type { PolicyDecision, PolicyRequest } from '../../src/policy/types';
import { decision } from './fakes';

const at = { file: '/etc/takakrypt/config.yaml', line: 1, column: 1 };

/** A configuration with one auto guard point per path and the given key rules. */
export function config(dir: string, guardPoints: string[], keys: string[] = [], policy = 'p1'): Config {
  return {
    file: join(dir, 'config.yaml'),
    agent: {
      logFile: join(dir, 'agent.log'), logLevel: 'debug', auditFile: join(dir, 'audit.log'), auditSyslog: false,
      decisionCacheTtl: 30, kernelTimeout: 5, pidFile: join(dir, 'agent.pid'),
    },
    keyStore: { path: join(dir, 'keys') },
    userSets: [], processSets: [], resourceSets: [],
    policies: [{
      name: policy, learnMode: false, securityRules: [], position: at,
      keyRules: keys.map((key, index) => ({ index, resourceSet: null, key, position: at })),
    }],
    guardPoints: guardPoints.map((path) => ({ path, policy, mode: 'auto' as const, position: at })),
  };
}

export interface FakeWorld {
  dir: string;
  deps: AgentDeps;
  /** What loadConfig returns (or throws) next. */
  next: { config: Config | Error };
  keys: string[];
  calls: string[];
  answers: PolicyAnswer[];
  audits: { request: PolicyRequest; decision: PolicyDecision }[];
  table: Map<string, GuardMount>;
  /** Make the channel's socket fail, as the addon reports it. */
  lose: (why: string) => void;
  /** Deliver a query as the kernel would. */
  query(q: PolicyQuery): void;
  /** The cipher table the agent handed to the channel (serveData), and its low-water mark. */
  dataTable: NativeCipherTable | null;
  lowWater: number | undefined;
  /** Tell the agent a pool runs low, as the channel would. */
  poolLow(guardPoint: string, policyName: string, pooled: number): void;
  /** Deliver a crypt request as the kernel would. */
  crypt(r: CryptRequest): void;
  cryptReplies: CryptReply[];
  /** Guard points whose syncfs fails. */
  syncFails: Set<string>;
  /** The decision the compiled policy gives, keyed by the policy name. */
  decide: (policy: string) => PolicyDecision;
}

/** Build a fake world in a fresh temporary directory (with /proc/takakrypt present). */
export function fakeWorld(): FakeWorld {
  const dir = mkdtempSync(join(tmpdir(), 'tk-agent-'));
  mkdirSync(join(dir, 'proc', 'takakrypt'), { recursive: true });
  mkdirSync(join(dir, 'sys', 'module', 'takakrypt', 'parameters'), { recursive: true });
  let handler: ((q: PolicyQuery) => void) | null = null;
  let cryptHandler: ((r: CryptRequest) => void) | null = null;
  let poolLowHandler: ((guardPoint: string, policyName: string, pooled: number) => void) | null = null;
  const world: FakeWorld = {
    dir, keys: [], calls: [], answers: [], audits: [], table: new Map(),
    next: { config: new Error('no configuration set') },
    query: (q) => handler?.(q),
    crypt: (r) => cryptHandler?.(r),
    cryptReplies: [],
    dataTable: null,
    lowWater: undefined,
    poolLow: (guardPoint, policyName, pooled) => poolLowHandler?.(guardPoint, policyName, pooled),
    syncFails: new Set(),
    lose: () => undefined,
    decide: (policy) => decision({ policy }),
    deps: undefined as unknown as AgentDeps,
  };
  const channel: AgentChannel = {
    register: () => { world.calls.push('register'); },
    onQuery: (h) => { handler = h; },
    answer: (a) => { world.answers.push(a); },
    setGeneration: (g, ttl) => { world.calls.push(`generation ${g > 0n ? '+' : '0'} ttl ${ttl}`); },
    close: () => { world.calls.push('close'); handler = null; cryptHandler = null; poolLowHandler = null; },
    onCrypt: (h) => { cryptHandler = h; },
    answerCrypt: (r) => { world.cryptReplies.push(r); },
    serveData: (t, lowWater) => { world.dataTable = t; world.lowWater = lowWater; },
    onPoolLow: (h) => { poolLowHandler = h; },
    servedInAddon: 0,
  };
  const mounter: Mounter = {
    list: () => [...world.table.values()],
    mount: async (path, policy) => { world.calls.push(`mount ${path}`); world.table.set(path, { path, policy }); },
    unmount: async (path) => { world.calls.push(`umount ${path}`); world.table.delete(path); },
    sync: async (path) => {
      world.calls.push(`sync ${path}`);
      if (world.syncFails.has(path)) throw new Error(`syncfs of ${path} failed: EIO`);
    },
  };
  world.deps = {
    loadConfig: () => {
      if (world.next.config instanceof Error) throw world.next.config;
      return world.next.config;
    },
    compile: (c) => ({ needsSignatures: false, decide: () => world.decide(c.policies[0].name) }),
    openKeys: () => ({
      getKey: () => Promise.reject(new Error('not used')),
      list: async () => world.keys.map((name) => ({ name, version: 1, created: '2026-01-01T00:00:00.000Z', algorithm: 'AES-256' as const })),
    }),
    openChannel: (_log, onLost) => {
      world.lose = onLost;
      return channel;
    },
    openAudit: () => ({ record: (request, d) => { world.audits.push({ request, decision: d }); } }),
    userName: () => 'alice',
    mounter,
    procRoot: join(dir, 'proc'),
    sysRoot: join(dir, 'sys'),
  };
  return world;
}

// Builders for configurations and requests, so tests state only what they vary.
import type {
  Config, KeyRule, Policy, ProcessEntry, ProcessSet, ResourceEntry, ResourceSet, SecurityRule, UserSet,
} from '../../src/config/types';
import { compilePolicy } from '../../src/policy/compile';
import { decide } from '../../src/policy/decide';
import { StaticResolver } from '../../src/policy/resolver';
import type { PolicyDecision, PolicyRequest } from '../../src/policy/types';

export const at = { file: 'test.yaml', line: 1, column: 1 };

export const GUARD_POINT = '/srv/data';

/** alice 1001 (groups dev 2001, ops 2002), bob 1002 (group dev), mysql 27 (group mysql 27). */
export const resolver = new StaticResolver(
  [
    { name: 'alice', uid: 1001, gid: 1001 },
    { name: 'bob', uid: 1002, gid: 1002 },
    { name: 'mysql', uid: 27, gid: 27 },
  ],
  [
    { name: 'alice', gid: 1001 },
    { name: 'bob', gid: 1002 },
    { name: 'dev', gid: 2001 },
    { name: 'ops', gid: 2002 },
    { name: 'mysql', gid: 27 },
  ],
  { alice: [2001, 2002], bob: [2001] },
);

export function userSet(name: string, members: Partial<Omit<UserSet, 'name' | 'position'>>): UserSet {
  return { name, users: [], uids: [], groups: [], gids: [], position: at, ...members };
}

export function processSet(name: string, entries: Array<[string, string, string?]>): ProcessSet {
  const processes: ProcessEntry[] = entries.map(([directory, file, sha256]) =>
    ({ directory, file, sha256: sha256 ?? null, position: at }));
  return { name, processes, position: at };
}

export function resourceSet(name: string, entries: Array<[string, string, boolean?]>): ResourceSet {
  const resources: ResourceEntry[] = entries.map(([directory, file, subfolders]) =>
    ({ directory, file, subfolders: subfolders ?? false, position: at }));
  return { name, resources, position: at };
}

export function rule(fields: Partial<SecurityRule>): Omit<SecurityRule, 'index'> {
  return {
    resourceSet: null, userSet: null, processSet: null,
    excludeResourceSet: false, excludeUserSet: false, excludeProcessSet: false,
    actions: ['all_ops'], effects: ['permit'], browsing: false, position: at,
    ...fields,
  };
}

export function keyRule(resourceSet: string | null, key: string): Omit<KeyRule, 'index'> {
  return { resourceSet, key, position: at };
}

export interface ConfigParts {
  rules: Array<Omit<SecurityRule, 'index'>>;
  keyRules?: Array<Omit<KeyRule, 'index'>>;
  learnMode?: boolean;
  userSets?: UserSet[];
  processSets?: ProcessSet[];
  resourceSets?: ResourceSet[];
}

/** A configuration with one policy "p" on GUARD_POINT. */
export function config(parts: ConfigParts): Config {
  const policy: Policy = {
    name: 'p',
    learnMode: parts.learnMode ?? false,
    securityRules: parts.rules.map((r, index) => ({ ...r, index })),
    keyRules: (parts.keyRules ?? []).map((k, index) => ({ ...k, index })),
    position: at,
  };
  return {
    file: 'test.yaml',
    agent: {
      logFile: null, logLevel: 'info', auditFile: '/dev/null', auditSyslog: false,
      decisionCacheTtl: 0, kernelTimeout: 5, pidFile: '/run/takakrypt.pid',
    },
    keyStore: { path: '/var/lib/takakrypt/keys' },
    userSets: parts.userSets ?? [],
    processSets: parts.processSets ?? [],
    resourceSets: parts.resourceSets ?? [],
    policies: [policy],
    guardPoints: [{ path: GUARD_POINT, policy: 'p', mode: 'auto', position: at }],
  };
}

/** A request by alice with /usr/bin/cat reading /file.txt, unless overridden. */
export function request(fields: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    guardPoint: GUARD_POINT, path: '/file.txt', isDirectory: false, action: 'f_rd',
    uid: 1001, gid: 1001, groups: [1001, 2001, 2002], exe: '/usr/bin/cat', pid: 4242,
    ...fields,
  };
}

/** Compile `parts` and decide one request (alice, cat, /file.txt, f_rd unless overridden). */
export function decideWith(parts: ConfigParts, fields: Partial<PolicyRequest> = {}): PolicyDecision {
  return decide(compilePolicy(config(parts), resolver), request(fields));
}

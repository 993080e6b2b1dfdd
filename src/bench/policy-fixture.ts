// The benchmark's configuration: R security rules, each with its own user,
// process and resource set of N entries. Every rule but the last matches
// the user and the process and fails only at the resource set, the most
// expensive check, so each decision walks every rule to the end.
import type {
  Config, ProcessEntry, ResourceEntry, SecurityRule, SourcePosition, UserSet,
} from '../config/types';
import type { UserEntry } from '../policy/resolver';
import type { PolicyRequest } from '../policy/types';

const at: SourcePosition = { file: 'bench', line: 0, column: 0 };
/** The benchmark's only guard point. */
export const BENCH_GUARD_POINT = '/bench';
const REQUEST_USERS = 50;
const REQUEST_TOOLS = 10;
const PROJECTS = 10;
const DIRS = 100;

/** Users u0..u(n-1) with uid 10000+k, for the StaticResolver. */
export function benchUsers(count: number): UserEntry[] {
  return Array.from({ length: count }, (_, k) => ({ name: `u${k}`, uid: 10_000 + k, gid: 10_000 + k }));
}

// 40% names, the rest uids; the request users are in every set.
function userSet(set: number, entries: number): UserSet {
  const names = Array.from({ length: Math.floor(entries * 0.4) }, (_, k) => `u${k}`);
  const uids = Array.from({ length: entries - names.length }, (_, k) => 1_000_000 + set * entries + k);
  return { name: `users${set}`, users: names, uids, groups: [], gids: [], position: at };
}

// Mostly exact executables elsewhere, a few globs in the requests' directory.
function processEntries(set: number, entries: number): ProcessEntry[] {
  const list: ProcessEntry[] = [];
  for (let t = 0; t < REQUEST_TOOLS; t += 1) list.push({ directory: '/usr/bin', file: `tool${t}`, sha256: null, position: at });
  for (let g = 0; g < 10; g += 1) list.push({ directory: '/usr/bin', file: `helper${set}-${g}-*`, sha256: null, position: at });
  for (let k = list.length; k < entries; k += 1) {
    list.push({ directory: `/opt/app${k % 100}/bin`, file: `prog${set}-${k}`, sha256: null, position: at });
  }
  return list;
}

// Exact files, recursive cache directories and globs spread over the same
// directories the requests use, with names the requests never have.
function resourceEntries(set: number, entries: number, deciding: boolean): ResourceEntry[] {
  const list: ResourceEntry[] = [];
  if (deciding) {
    for (let p = 0; p < PROJECTS; p += 1) list.push({ directory: `/proj${p}`, file: '*', subfolders: true, position: at });
  }
  for (let k = list.length; k < entries; k += 1) {
    const directory = `/proj${k % PROJECTS}/dir${Math.floor(k / PROJECTS) % DIRS}`;
    const kind = k % 100;
    if (kind < 90) list.push({ directory, file: `f${set}-${k}.dat`, subfolders: false, position: at });
    else if (kind < 99) list.push({ directory: `${directory}/cache${set}-${k}`, file: '*', subfolders: true, position: at });
    else list.push({ directory, file: `report${set}-*.pdf`, subfolders: k % 2 === 0, position: at });
  }
  return list;
}

function rule(index: number): SecurityRule {
  return {
    index, resourceSet: `res${index}`, userSet: `users${index}`, processSet: `procs${index}`,
    excludeResourceSet: false, excludeUserSet: false, excludeProcessSet: false,
    actions: ['all_ops'], effects: ['permit', 'applykey'], browsing: false, position: at,
  };
}

/** A configuration of `rules` rules over sets of `entries` entries each. */
export function benchConfig(rules: number, entries: number): Config {
  const ids = Array.from({ length: rules }, (_, i) => i);
  return {
    file: 'bench',
    agent: { logFile: null, logLevel: 'error', auditFile: '/dev/null', auditSyslog: false, decisionCacheTtl: 0, kernelTimeout: 5, pidFile: '/dev/null' },
    keyStore: { path: '/nonexistent' },
    userSets: ids.map((i) => userSet(i, entries)),
    processSets: ids.map((i) => ({ name: `procs${i}`, processes: processEntries(i, entries), position: at })),
    resourceSets: ids.map((i) => ({ name: `res${i}`, resources: resourceEntries(i, entries, i === rules - 1), position: at })),
    policies: [{ name: 'bench', learnMode: false, securityRules: ids.map(rule), keyRules: [{ index: 0, resourceSet: null, key: 'k', position: at }], position: at }],
    guardPoints: [{ path: BENCH_GUARD_POINT, policy: 'bench', mode: 'manual', position: at }],
  };
}

/** `count` requests over varied users, tools and paths, all decided by the last rule. */
export function benchRequests(count: number): PolicyRequest[] {
  return Array.from({ length: count }, (_, k) => ({
    guardPoint: BENCH_GUARD_POINT,
    path: `/proj${k % PROJECTS}/dir${(k * 7) % DIRS}/sub${k % 13}/req${k % 997}.dat`,
    isDirectory: false,
    action: k % 3 === 0 ? 'f_wr' : 'f_rd',
    uid: 10_000 + (k % REQUEST_USERS), gid: 10_000 + (k % REQUEST_USERS), groups: [100, 10_000 + (k % REQUEST_USERS)],
    exe: `/usr/bin/tool${k % REQUEST_TOOLS}`,
    pid: 1000 + k,
  }));
}

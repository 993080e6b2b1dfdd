// Name service look-ups for user sets and audit records, behind an
// injectable interface. The default asks `getent`, which goes through NSS
// (files, LDAP, SSSD alike), and caches every answer including "unknown".
import { execFileSync } from 'node:child_process';
import { createError } from '../errors';

/** One passwd entry, as far as policies need it. */
export interface UserEntry {
  name: string;
  uid: number;
  /** Primary group id. */
  gid: number;
}

/** One group entry, as far as policies need it. */
export interface GroupEntry {
  name: string;
  gid: number;
}

/** What the policy compiler and the audit writer need from the name service. */
export interface NssResolver {
  userByName(name: string): UserEntry | null;
  userByUid(uid: number): UserEntry | null;
  groupByName(name: string): GroupEntry | null;
  groupByGid(gid: number): GroupEntry | null;
  /** Every group id of a user: the primary group first, then the supplementary ones. */
  groupsOfUser(name: string): number[];
}

/** Runs `getent DATABASE KEY`; returns stdout, or null when the key is unknown. */
export type GetentRunner = (database: string, key: string) => string | null;

/** A runner for the `getent` at `command`; exit status 2 means "not found". */
export function getentRunner(command = 'getent'): GetentRunner {
  // Any other failure is the name service's own and must not pass for "no such user".
  return (database, key) => {
    try {
      return execFileSync(command, [database, '--', key], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      if ((err as { status?: number | null }).status === 2) return null;
      const detail = String((err as { message?: unknown }).message ?? err).split('\n')[0];
      throw createError('POLICY_NSS_UNAVAILABLE', `expected getent ${database} to answer for ${JSON.stringify(key)}, got: ${detail}`);
    }
  };
}

function firstLine(text: string | null): string[] | null {
  if (text === null) return null;
  const line = text.split('\n')[0];
  return line ? line.split(':') : null;
}

function parseId(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

// getent takes a number as an id, so a name lookup of "1000" would answer
// for uid 1000: keep an answer only when the field asked for matches.
function parseUser(text: string | null): UserEntry | null {
  const f = firstLine(text);
  const uid = parseId(f?.[2]);
  const gid = parseId(f?.[3]);
  return f && uid !== null && gid !== null ? { name: f[0], uid, gid } : null;
}

function parseGroup(text: string | null): GroupEntry | null {
  const f = firstLine(text);
  const gid = parseId(f?.[2]);
  return f && gid !== null ? { name: f[0], gid } : null;
}

function cached<K, V>(cache: Map<K, V>, key: K, load: () => V): V {
  if (cache.has(key)) return cache.get(key) as V;
  const value = load();
  cache.set(key, value);
  return value;
}

/** The default resolver: `getent` through NSS, every answer cached until clear(). */
export class GetentResolver implements NssResolver {
  private readonly users = new Map<string, UserEntry | null>();
  private readonly uids = new Map<number, UserEntry | null>();
  private readonly groups = new Map<string, GroupEntry | null>();
  private readonly gids = new Map<number, GroupEntry | null>();
  private readonly memberships = new Map<string, number[]>();

  constructor(private readonly getent: GetentRunner = getentRunner()) {}

  userByName(name: string): UserEntry | null {
    return cached(this.users, name, () => {
      const user = parseUser(this.getent('passwd', name));
      return user && user.name === name ? user : null;
    });
  }

  userByUid(uid: number): UserEntry | null {
    return cached(this.uids, uid, () => {
      const user = parseUser(this.getent('passwd', String(uid)));
      return user && user.uid === uid ? user : null;
    });
  }

  groupByName(name: string): GroupEntry | null {
    return cached(this.groups, name, () => {
      const group = parseGroup(this.getent('group', name));
      return group && group.name === name ? group : null;
    });
  }

  groupByGid(gid: number): GroupEntry | null {
    return cached(this.gids, gid, () => {
      const group = parseGroup(this.getent('group', String(gid)));
      return group && group.gid === gid ? group : null;
    });
  }

  groupsOfUser(name: string): number[] {
    return cached(this.memberships, name, () => {
      const user = this.userByName(name);
      if (!user) return [];
      // `getent initgroups` prints "name gid gid ..." with the supplementary groups only.
      const line = (this.getent('initgroups', name) ?? '').split('\n')[0];
      const extra = line.trim().split(/\s+/).slice(1).map(Number).filter((g) => Number.isInteger(g));
      return [user.gid, ...extra.filter((g) => g !== user.gid)];
    });
  }

  /** Forget every cached answer, e.g. before recompiling on reload. */
  clear(): void {
    for (const cache of [this.users, this.uids, this.groups, this.gids, this.memberships]) cache.clear();
  }
}

/** A fixed in-memory resolver, for tests and benchmarks. */
export class StaticResolver implements NssResolver {
  private readonly byName = new Map<string, UserEntry>();
  private readonly byUid = new Map<number, UserEntry>();
  private readonly byGroupName = new Map<string, GroupEntry>();
  private readonly byGid = new Map<number, GroupEntry>();

  constructor(
    users: readonly UserEntry[],
    groups: readonly GroupEntry[],
    private readonly members: Readonly<Record<string, readonly number[]>> = {},
  ) {
    for (const u of users) {
      this.byName.set(u.name, u);
      if (!this.byUid.has(u.uid)) this.byUid.set(u.uid, u);
    }
    for (const g of groups) {
      this.byGroupName.set(g.name, g);
      if (!this.byGid.has(g.gid)) this.byGid.set(g.gid, g);
    }
  }

  userByName(name: string): UserEntry | null {
    return this.byName.get(name) ?? null;
  }

  userByUid(uid: number): UserEntry | null {
    return this.byUid.get(uid) ?? null;
  }

  groupByName(name: string): GroupEntry | null {
    return this.byGroupName.get(name) ?? null;
  }

  groupByGid(gid: number): GroupEntry | null {
    return this.byGid.get(gid) ?? null;
  }

  groupsOfUser(name: string): number[] {
    const user = this.byName.get(name);
    if (!user) return [];
    return [user.gid, ...(this.members[name] ?? []).filter((g) => g !== user.gid)];
  }
}

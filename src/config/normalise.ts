// From the parsed YAML (already checked against the schema) to the
// normalised Config: defaults filled in, paths normalised, and every
// field-level problem the schema cannot express recorded.
import { posix } from 'node:path';
import { AGENT_DEFAULTS, GUARD_POINT_DEFAULT_MODE, KEY_STORE_DEFAULTS, RESOURCE_DEFAULTS } from './defaults';
import {
  absolutePath, checkNamePattern, escapeName, flag, integers, list, mapping, numberOr, optionalText,
  relativeDirectory, strings, text,
} from './fields';
import { normalisePolicy } from './normalise-policy';
import type { Findings, PathSegment, SourceMap } from './problems';
import type {
  AgentSettings, Config, GuardPoint, KeyStoreSettings, ProcessEntry, ProcessSet, ResourceEntry, ResourceSet, UserSet,
} from './types';

/** What the normaliser needs besides the data: where things are and where to report. */
export interface NormaliseContext {
  source: SourceMap;
  findings: Findings;
}

/** Build the normalised Config; list entries keep their index even when malformed. */
export function normaliseConfig(raw: unknown, file: string, ctx: NormaliseContext): Config {
  const root = mapping(raw);
  return {
    file,
    agent: normaliseAgent(mapping(root.agent), ctx),
    keyStore: normaliseKeyStore(mapping(root.key_store), ctx),
    userSets: list(root.user_sets).map((item, i) => normaliseUserSet(mapping(item), ['user_sets', i], ctx)),
    processSets: list(root.process_sets).map((item, i) => normaliseProcessSet(mapping(item), ['process_sets', i], ctx)),
    resourceSets: list(root.resource_sets).map((item, i) => normaliseResourceSet(mapping(item), ['resource_sets', i], ctx)),
    policies: list(root.policies).map((item, i) => normalisePolicy(mapping(item), ['policies', i], ctx)),
    guardPoints: list(root.guard_points).map((item, i) => normaliseGuardPoint(mapping(item), ['guard_points', i], ctx)),
  };
}

function agentPath(value: unknown, key: string, fallback: string, ctx: NormaliseContext): string {
  return absolutePath(text(value, fallback), ['agent', key], ctx.findings);
}

function normaliseAgent(agent: Record<string, unknown>, ctx: NormaliseContext): AgentSettings {
  const logFile = optionalText(agent.log_file);
  const level = text(agent.log_level, AGENT_DEFAULTS.logLevel) as AgentSettings['logLevel'];
  return {
    logFile: logFile === null ? null : absolutePath(logFile, ['agent', 'log_file'], ctx.findings),
    logLevel: level,
    auditFile: agentPath(agent.audit_file, 'audit_file', AGENT_DEFAULTS.auditFile, ctx),
    auditSyslog: flag(agent.audit_syslog, AGENT_DEFAULTS.auditSyslog),
    decisionCacheTtl: numberOr(agent.decision_cache_ttl, AGENT_DEFAULTS.decisionCacheTtl),
    kernelTimeout: numberOr(agent.kernel_timeout, AGENT_DEFAULTS.kernelTimeout),
    pidFile: agentPath(agent.pid_file, 'pid_file', AGENT_DEFAULTS.pidFile, ctx),
  };
}

function normaliseKeyStore(store: Record<string, unknown>, ctx: NormaliseContext): KeyStoreSettings {
  return { path: absolutePath(text(store.path, KEY_STORE_DEFAULTS.path), ['key_store', 'path'], ctx.findings) };
}

function normaliseUserSet(set: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): UserSet {
  const userSet: UserSet = {
    name: text(set.name, ''),
    users: strings(set.users),
    uids: integers(set.uids),
    groups: strings(set.groups),
    gids: integers(set.gids),
    position: ctx.source.position(path),
  };
  // An empty user set would match nobody, or everybody once excluded: say which was meant.
  if (['users', 'uids', 'groups', 'gids'].every((key) => list(set[key]).length === 0)) {
    ctx.findings.error(path, 'expected at least one of users, uids, groups, gids, got none');
  }
  return userSet;
}

function normaliseProcessSet(set: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): ProcessSet {
  return {
    name: text(set.name, ''),
    processes: list(set.processes).map((item, i) => normaliseProcess(mapping(item), [...path, 'processes', i], ctx)),
    position: ctx.source.position(path),
  };
}

function normaliseProcess(entry: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): ProcessEntry {
  const sha256 = optionalText(entry.sha256);
  const result: ProcessEntry = {
    directory: '/',
    file: '*',
    sha256: sha256 === null ? null : sha256.toLowerCase(),
    position: ctx.source.position(path),
  };
  const exact = optionalText(entry.path);
  const directory = optionalText(entry.directory);
  const file = optionalText(entry.file);
  if (exact !== null && (directory !== null || file !== null)) {
    ctx.findings.error(path, 'expected either path, or directory with file, got both');
  } else if (exact !== null) {
    splitExecutable(exact, [...path, 'path'], ctx, result);
  } else if (directory === null) {
    ctx.findings.error(path, 'expected path, or directory with file, got neither');
  } else if (file === null) {
    ctx.findings.error(path, 'expected file with directory (use "*" for every executable in it), got none');
  } else {
    result.directory = absolutePath(directory, [...path, 'directory'], ctx.findings);
    result.file = file;
    checkNamePattern(file, [...path, 'file'], ctx.findings);
  }
  return result;
}

// An exact executable becomes its directory plus its escaped name, so
// wildcard characters in a real file name match only themselves.
function splitExecutable(exact: string, path: PathSegment[], ctx: NormaliseContext, out: ProcessEntry): void {
  const normal = absolutePath(exact, path, ctx.findings);
  if (!normal.startsWith('/')) return;
  if (normal === '/' || exact.endsWith('/')) {
    ctx.findings.error(path, `expected the path of an executable file, got directory ${JSON.stringify(exact)}`);
    return;
  }
  out.directory = posix.dirname(normal);
  out.file = escapeName(posix.basename(normal));
}

function normaliseResourceSet(set: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): ResourceSet {
  return {
    name: text(set.name, ''),
    resources: list(set.resources).map((item, i) => normaliseResource(mapping(item), [...path, 'resources', i], ctx)),
    position: ctx.source.position(path),
  };
}

function normaliseResource(entry: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): ResourceEntry {
  const file = text(entry.file, RESOURCE_DEFAULTS.file);
  checkNamePattern(file, [...path, 'file'], ctx.findings);
  return {
    directory: relativeDirectory(text(entry.directory, RESOURCE_DEFAULTS.directory), [...path, 'directory'], ctx.findings),
    file,
    subfolders: flag(entry.subfolders, RESOURCE_DEFAULTS.subfolders),
    position: ctx.source.position(path),
  };
}

function normaliseGuardPoint(entry: Record<string, unknown>, path: PathSegment[], ctx: NormaliseContext): GuardPoint {
  const mode = text(entry.mode, GUARD_POINT_DEFAULT_MODE);
  return {
    path: typeof entry.path === 'string' ? absolutePath(entry.path, [...path, 'path'], ctx.findings) : '',
    policy: text(entry.policy, ''),
    mode: mode === 'manual' ? 'manual' : 'auto',
    position: ctx.source.position(path),
  };
}

// Where guard points may be: never nested, never over system trees, never
// over or inside the directories the agent itself depends on (its
// configuration, key store, logs), and never over its own program, any of
// which would make it deny or wait on itself.
import { posix } from 'node:path';
import { isWithin, splitPath } from '../policy/paths';
import type { Findings } from './problems';
import type { Config, GuardPoint } from './types';

/** Trees no guard point may cover: the kernel's and the boot loader's. */
export const SYSTEM_TREES: readonly string[] = ['/proc', '/sys', '/dev', '/boot'];

/** Report guard points that nest, or sit on system or agent directories. */
export function checkGuardPoints(config: Config, configFile: string, findings: Findings): void {
  const agentDirs = agentDirectories(config, configFile);
  config.guardPoints.forEach((gp, i) => {
    if (!gp.path.startsWith('/')) return;
    const reason = placementProblem(gp.path, agentDirs);
    if (reason !== null) findings.error(['guard_points', i, 'path'], `${reason}, got ${JSON.stringify(gp.path)}`);
  });
  checkNesting(config.guardPoints, findings);
}

interface AgentDirectory {
  what: string;
  dir: string;
  /** Whether a guard point inside it is refused too, not only one over it. */
  inside: boolean;
}

// The agent's own program: a guard point over it would make the agent wait
// on itself when it loads a module or starts node again.
const PROGRAM_DIRECTORIES: readonly AgentDirectory[] = [
  { what: "the agent's installation directory", dir: posix.resolve(__dirname, '..', '..'), inside: false },
  { what: 'the directory of the node executable', dir: posix.dirname(process.execPath), inside: false },
];

function agentDirectories(config: Config, configFile: string): AgentDirectory[] {
  const dirs: AgentDirectory[] = [
    { what: "the agent's configuration directory", dir: posix.dirname(posix.resolve(configFile)), inside: true },
    { what: 'the key store', dir: config.keyStore.path, inside: true },
    { what: 'the audit log directory', dir: posix.dirname(config.agent.auditFile), inside: true },
    // The pid file and control socket only need their directory left alone, not its subtree.
    { what: 'the pid file directory', dir: posix.dirname(config.agent.pidFile), inside: false },
  ];
  if (config.agent.logFile !== null) {
    dirs.push({ what: 'the agent log directory', dir: posix.dirname(config.agent.logFile), inside: true });
  }
  return [...dirs, ...PROGRAM_DIRECTORIES].filter((entry) => entry.dir.startsWith('/'));
}

function placementProblem(path: string, agentDirs: readonly AgentDirectory[]): string | null {
  if (path === '/') return 'expected a directory other than /';
  for (const tree of SYSTEM_TREES) {
    if (isWithin(tree, path)) return `expected a directory outside ${tree}`;
  }
  for (const { what, dir, inside } of agentDirs) {
    if (inside && (isWithin(path, dir) || isWithin(dir, path))) {
      return `expected a directory that neither contains nor lies inside ${what} ${dir}`;
    }
    if (!inside && isWithin(path, dir)) return `expected a directory that does not contain ${what} ${dir}`;
  }
  return null;
}

// Guard points may not nest: each is reported against the nearest guard
// point above it. Ancestors are looked up, so this stays linear in the count.
function checkNesting(guardPoints: readonly GuardPoint[], findings: Findings): void {
  const byPath = new Map<string, number>();
  guardPoints.forEach((gp, i) => {
    if (gp.path.startsWith('/') && !byPath.has(gp.path)) byPath.set(gp.path, i);
  });
  guardPoints.forEach((gp, i) => {
    if (!gp.path.startsWith('/') || gp.path === '/') return;
    const split = splitPath(gp.path);
    const ancestors = split.parent === null ? [] : [split.parent, ...split.above];
    const outer = ancestors.find((dir) => byPath.has(dir));
    if (outer === undefined) return;
    const j = byPath.get(outer) as number;
    findings.error(
      ['guard_points', i, 'path'],
      `expected guard points not to nest, got ${JSON.stringify(gp.path)} inside guard point ${JSON.stringify(outer)} ` +
        `(guard_points[${j}], line ${guardPoints[j].position.line})`,
    );
  });
}

// Finding the running agent's pid file from the command line: --pid-file,
// else agent.pid_file of the configuration file, else the default. Only
// that one field is read, so stop and status work even while the file
// holds an edit that does not validate.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { AGENT_DEFAULTS, DEFAULT_CONFIG_FILE } from '../config/defaults';

export interface LocateOptions {
  config?: string;
  pidFile?: string;
}

/** The pid file the options designate. */
export function resolvePidFile(options: LocateOptions): string {
  if (options.pidFile) return options.pidFile;
  const file = options.config ?? DEFAULT_CONFIG_FILE;
  if (!existsSync(file)) return AGENT_DEFAULTS.pidFile;
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = (parse(text) as { agent?: { pid_file?: unknown } } | null)?.agent?.pid_file;
  } catch {
    // A file broken mid-edit must still lead `reload` to the running agent
    // (which then reports the problems): look for the line itself.
    value = /^\s+pid_file:\s*["']?(\/[^\s"'#]+)/m.exec(text)?.[1];
  }
  return typeof value === 'string' && value.startsWith('/') ? value : AGENT_DEFAULTS.pidFile;
}

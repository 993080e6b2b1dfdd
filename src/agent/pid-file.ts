// The agent's pid file: one live agent per pid file, stale files replaced.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createError } from '../errors';

/** What a pid file says about the agent it names. */
export type PidFileState =
  | { kind: 'absent' }
  | { kind: 'stale'; pid: number | null }
  | { kind: 'live'; pid: number };

/** True when `pid` is a running process whose command line is takakrypt-agent. */
export function isLiveAgent(pid: number, procRoot = '/proc'): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  // A recycled pid belongs to some other program: only a process started
  // from our CLI counts, so a stale file never blocks a start.
  return cmdline.split('\0').some((arg) => /takakrypt-agent$|\/cli\/main\.js$/.test(arg));
}

/** Read the pid file and classify it. */
export function readPidFile(file: string, procRoot = '/proc'): PidFileState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw createError('AGENT_PID_FILE', `cannot read pid file ${file}: ${(err as Error).message}`, { file });
  }
  const match = /^\s*(\d+)\s*$/.exec(text);
  if (!match) return { kind: 'stale', pid: null };
  const pid = Number(match[1]);
  return isLiveAgent(pid, procRoot) ? { kind: 'live', pid } : { kind: 'stale', pid };
}

/**
 * Claim the pid file for `pid`: refuse when it names a live agent, replace
 * it when stale. O_EXCL makes two racing starts agree on one winner.
 */
export function claimPidFile(file: string, pid: number, procRoot = '/proc'): void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const state = readPidFile(file, procRoot);
    if (state.kind === 'live') {
      throw createError('AGENT_ALREADY_RUNNING', `already running (pid ${state.pid})`, { pid: state.pid, file });
    }
    if (state.kind === 'stale') removePidFile(file);
    try {
      const fd = openSync(file, 'wx', 0o644);
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw createError('AGENT_PID_FILE', `cannot create pid file ${file}: ${(err as Error).message}`, { file });
      }
    }
  }
  throw createError('AGENT_PID_FILE', `cannot claim pid file ${file}: another start keeps replacing it`, { file });
}

/** Remove the pid file if it is still ours (or unconditionally when `pid` is omitted). */
export function removePidFile(file: string, pid?: number): void {
  try {
    if (pid !== undefined && readFileSync(file, 'utf8').trim() !== String(pid)) return;
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The control socket that lives beside a pid file. */
export function controlSocketPath(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -4)}.sock` : `${pidFile}.sock`;
}

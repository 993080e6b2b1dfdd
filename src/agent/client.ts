// The CLI side of stop, status and reload: find the agent through its pid
// file, talk to its control socket, wait for it to exit.
import { readFileSync } from 'node:fs';
import { createError } from '../errors';
import { callControl, ControlReply } from './control';
import type { UnmountFailure } from './guard-points';
import { controlSocketPath, isLiveAgent, readPidFile } from './pid-file';

/** The pid of the live agent named by `pidFile`, or AGENT_NOT_RUNNING. */
export function requireRunning(pidFile: string, procRoot = '/proc'): number {
  const state = readPidFile(pidFile, procRoot);
  if (state.kind === 'live') return state.pid;
  const why = state.kind === 'absent' ? `no pid file ${pidFile}` : `pid file ${pidFile} names no live agent`;
  throw createError('AGENT_NOT_RUNNING', `takakrypt-agent is not running (${why})`, { pidFile });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait until `pid` is no longer a live agent, or AGENT_STOP_TIMEOUT. */
export async function waitForExit(pid: number, timeoutMs: number, procRoot = '/proc'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isLiveAgent(pid, procRoot)) {
    if (Date.now() >= deadline) {
      throw createError('AGENT_STOP_TIMEOUT', `expected agent pid ${pid} to exit within ${timeoutMs} ms; it is still running`, { pid });
    }
    await sleep(100);
  }
}

/**
 * Stop the agent and wait for it to exit. With keepMounts (restart) the
 * guard points stay mounted and deny access until the next agent registers.
 * Returns the guard points that were busy and stay mounted.
 */
export async function stopAgent(pidFile: string, keepMounts: boolean, timeoutMs: number): Promise<UnmountFailure[]> {
  const pid = requireRunning(pidFile);
  let failures: UnmountFailure[] = [];
  try {
    const reply = await callControl(controlSocketPath(pidFile), { cmd: 'stop', keepMounts }, timeoutMs);
    if (reply.ok && Array.isArray(reply.failures)) failures = reply.failures as UnmountFailure[];
  } catch {
    // The control socket is gone or stuck: the signal does the same stop.
    process.kill(pid, 'SIGTERM');
  }
  await waitForExit(pid, timeoutMs);
  return failures;
}

/** Ask the running agent for its status. */
export async function agentStatus(pidFile: string): Promise<ControlReply> {
  requireRunning(pidFile);
  return callControl(controlSocketPath(pidFile), { cmd: 'status' });
}

/** Ask the running agent to reload its configuration file. */
export async function reloadAgent(pidFile: string): Promise<ControlReply> {
  requireRunning(pidFile);
  return callControl(controlSocketPath(pidFile), { cmd: 'reload' });
}

/** The kernel module's own view, `key: value` lines; null when it is not loaded. */
export function readKernelStatus(procRoot = '/proc'): { status: string; guardPoints: string } | null {
  try {
    return {
      status: readFileSync(`${procRoot}/takakrypt/status`, 'utf8'),
      guardPoints: readFileSync(`${procRoot}/takakrypt/guard_points`, 'utf8'),
    };
  } catch {
    return null;
  }
}

// Detaching: the CLI parent starts the agent as a new session and waits
// on a pipe (fd 3 of the child) for "ready" or the reason it failed, so a
// startup error reaches the terminal even though the agent runs detached.
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

export const READY_FD_ENV = 'TAKAKRYPT_READY_FD';

/** What the child reports on the pipe, one JSON line. */
export type StartReport =
  | { ready: true; pid: number }
  | { ready: false; exitCode: number; message: string };

/** Child side: report once, then close the pipe; a no-op when not detached. */
export function reportStart(report: StartReport): void {
  const fd = Number(process.env[READY_FD_ENV]);
  if (!Number.isInteger(fd) || fd < 3) return;
  delete process.env[READY_FD_ENV];
  try {
    writeSync(fd, `${JSON.stringify(report)}\n`);
    closeSync(fd);
  } catch {
    // The parent gave up waiting; the agent log has the story.
  }
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
    });
    stream.on('end', () => resolve(text));
    stream.on('error', () => resolve(text));
  });
}

/**
 * Parent side: run `node <script> ...args` detached with the pipe on fd 3
 * and resolve with its report; a child that dies without one yields a
 * failure carrying its exit status.
 */
export async function spawnDetached(script: string, args: string[]): Promise<StartReport> {
  const child = spawn(process.execPath, [script, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, [READY_FD_ENV]: '3' },
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const text = await readAll(child.stdio[3] as Readable);
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line !== undefined) {
    try {
      const report = JSON.parse(line) as StartReport;
      if (report.ready) child.unref();
      return report;
    } catch {
      // fall through to the exit status
    }
  }
  const exitCode = await exited;
  return { ready: false, exitCode: exitCode || 1, message: `the agent exited (status ${exitCode}) before it was ready` };
}

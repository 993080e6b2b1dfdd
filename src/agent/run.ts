// The agent process: prepare, claim the pid file, start, serve the control
// socket and signals (SIGHUP reloads, SIGTERM/SIGINT stop), report ready
// or the failure to a waiting parent, and resolve with the exit status.
import type { Server } from 'node:net';
import { EXIT } from '../cli/exit-codes';
import { isTakakryptError } from '../errors';
import { createLogger, Logger, nullLogger } from '../log/logger';
import { ControlReply, ControlRequest, serveControl } from './control';
import { Agent, AgentDeps, Prepared } from './daemon';
import { reportStart } from './detach';
import { describeStartError, exitCodeFor } from './messages';
import { claimPidFile, controlSocketPath, removePidFile } from './pid-file';

export interface RunOptions {
  configFile: string;
  /** Where startup errors are printed when not detached. */
  stderr: (text: string) => void;
  /** SIGHUP reloads, SIGTERM and SIGINT stop; off in tests that run in-process. */
  handleSignals: boolean;
}

/** Run the agent until it is stopped; resolves with the process exit status. */
export async function runAgent(options: RunOptions, deps: AgentDeps): Promise<number> {
  let log: Logger | null = null;
  let pidFile: string | null = null;
  let started: Agent | null = null;
  try {
    const bootstrap = new Agent(deps, nullLogger());
    const prepared = await bootstrap.prepare(options.configFile);
    log = createLogger({ file: prepared.config.agent.logFile ?? undefined, level: prepared.config.agent.logLevel });
    claimPidFile(prepared.config.agent.pidFile, process.pid, deps.procRoot);
    pidFile = prepared.config.agent.pidFile;
    const agent = new Agent(deps, log);
    await agent.start(prepared);
    started = agent;
    const status = await serve(agent, prepared, options, log);
    await closeLogger(log);
    return status;
  } catch (err) {
    const message = describeStartError(err);
    log?.error('agent failed to start', { error: message });
    // Started but could not serve (the control socket): undo the start.
    await started?.stop(false);
    if (pidFile !== null) removePidFile(pidFile, process.pid);
    reportStart({ ready: false, exitCode: exitCodeFor(err), message });
    options.stderr(`${message}\n`);
    if (log !== null) await closeLogger(log);
    return exitCodeFor(err);
  }
}

/** Serialises stop and reload so they never interleave. */
function serialQueue(): <T>(job: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job, job);
    queue = next.catch(() => undefined);
    return next;
  };
}

/** The agent's control verbs, shared by the socket, the signals and a lost channel. */
class Controller {
  private readonly serial = serialQueue();
  private stopping = false;
  private exitStatus: number = EXIT.OK;
  private finished: (code: number) => void = () => undefined;
  server: Server | null = null;
  readonly done = new Promise<number>((resolve) => {
    this.finished = resolve;
  });

  constructor(private readonly agent: Agent, private readonly pidFile: string,
    private readonly configFile: string, private readonly log: Logger) {}

  handle(request: ControlRequest): Promise<ControlReply> {
    if (request.cmd === 'status') return Promise.resolve({ ok: true, ...this.agent.describe() });
    if (request.cmd === 'reload') return this.reload();
    return this.stop(request.keepMounts);
  }

  reload(): Promise<ControlReply> {
    return this.serial(() => reloadAgent(this.agent, this.configFile, this.log));
  }

  stop(keepMounts: boolean, exitStatus: number = EXIT.OK): Promise<ControlReply> {
    return this.serial(async () => {
      if (this.stopping) return { ok: true, failures: [] };
      this.stopping = true;
      this.exitStatus = exitStatus;
      const failures = await this.agent.stop(keepMounts);
      // After the reply is on its way: close the socket, then exit.
      setImmediate(() => finish(this.server, this.pidFile, () => this.finished(this.exitStatus)));
      return { ok: true, failures };
    });
  }
}

async function serve(agent: Agent, prepared: Prepared, options: RunOptions, log: Logger): Promise<number> {
  const pidFile = prepared.config.agent.pidFile;
  const control = new Controller(agent, pidFile, options.configFile, log);
  // Without its socket the agent cannot answer: stop, leaving the guard
  // points mounted (they deny) so a supervisor's restart adopts them.
  agent.onChannelLost = () => void control.stop(true, EXIT.FAILURE);
  control.server = await serveControl(controlSocketPath(pidFile), (request) => control.handle(request));
  if (options.handleSignals) {
    process.on('SIGHUP', () => void control.reload());
    process.on('SIGTERM', () => void control.stop(false));
    process.on('SIGINT', () => void control.stop(false));
  }
  log.info('agent ready', { pid: process.pid, config: prepared.config.file });
  reportStart({ ready: true, pid: process.pid });
  return control.done;
}

function finish(server: Server | null, pidFile: string, finished: () => void): void {
  const end = () => {
    removePidFile(pidFile, process.pid);
    finished();
  };
  if (server === null) return end();
  server.close(end);
}

async function reloadAgent(agent: Agent, file: string, log: Logger): Promise<ControlReply> {
  try {
    const prepared = await agent.prepare(file);
    await agent.reload(prepared);
    return { ok: true, ...agent.describe() };
  } catch (err) {
    const message = describeStartError(err);
    log.error('reload rejected; keeping the running configuration', { file, error: message });
    const problems = message.split('\n');
    return { ok: false, code: isTakakryptError(err) ? err.code : 'AGENT_RELOAD_REJECTED', message: problems[0], problems };
  }
}

/** Flush the log file before the process exits. */
function closeLogger(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    log.on('finish', () => resolve());
    log.end();
  });
}

// `takakrypt-agent restart`: stop without unmounting, then start. The guard
// points stay mounted throughout; while no agent is registered the module
// denies every access to them, so a restart closes access, never opens it.
import type { CommandModule } from 'yargs';
import { requireRunning, stopAgent } from '../../agent/client';
import { resolvePidFile } from '../../agent/locate';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults';
import { startAgent } from './start';

export interface RestartArgs {
  config: string;
  timeout: number;
}

function isRunning(pidFile: string): boolean {
  try {
    requireRunning(pidFile);
    return true;
  } catch {
    return false;
  }
}

export const restartCommand: CommandModule<object, RestartArgs> = {
  command: 'restart',
  describe: 'stop and start the agent; guard points stay mounted and deny access in between',
  builder: (y) => y
    .option('config', { type: 'string', default: DEFAULT_CONFIG_FILE, describe: 'configuration file' })
    .option('timeout', { type: 'number', default: 30, describe: 'seconds to wait for the old agent to exit' }),
  handler: async (args) => {
    const pidFile = resolvePidFile({ config: args.config });
    if (isRunning(pidFile)) await stopAgent(pidFile, true, args.timeout * 1000);
    process.exitCode = await startAgent(args.config, false);
  },
};

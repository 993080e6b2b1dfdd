// `takakrypt-agent stop`: unmount the guard points, deregister, and wait
// for the agent to exit. A busy guard point is named with its holders and
// stays mounted, denying all access while no agent is registered.
import type { CommandModule } from 'yargs';
import { stopAgent } from '../../agent/client';
import { resolvePidFile } from '../../agent/locate';
import { isTakakryptError } from '../../errors';
import { EXIT } from '../exit-codes';

export interface StopArgs {
  config?: string;
  'pid-file'?: string;
  timeout: number;
  'keep-mounts'?: boolean;
}

/** Print a not-running or timeout error and return its exit status. */
export function reportControlError(err: unknown): number {
  if (isTakakryptError(err, 'AGENT_NOT_RUNNING')) {
    process.stderr.write(`takakrypt-agent: ${err.message}\n`);
    return EXIT.NOT_RUNNING;
  }
  throw err;
}

export const stopCommand: CommandModule<object, StopArgs> = {
  command: 'stop',
  describe: 'unmount the guard points, deregister from the kernel and stop the agent',
  builder: (y) => y
    .option('config', { type: 'string', describe: 'configuration file naming agent.pid_file' })
    .option('pid-file', { type: 'string', describe: 'pid file of the agent (overrides the configuration)' })
    .option('timeout', { type: 'number', default: 30, describe: 'seconds to wait for the agent to exit' })
    .option('keep-mounts', { type: 'boolean', default: false, describe: 'leave the guard points mounted (they deny all access until the next start)' }),
  handler: async (args) => {
    const pidFile = resolvePidFile({ config: args.config, pidFile: args['pid-file'] });
    try {
      const failures = await stopAgent(pidFile, args['keep-mounts'] === true, args.timeout * 1000);
      for (const failure of failures) process.stderr.write(`takakrypt-agent: ${failure.message}\n`);
      process.stdout.write('takakrypt-agent stopped\n');
      process.exitCode = failures.length > 0 ? EXIT.FAILURE : EXIT.OK;
    } catch (err) {
      process.exitCode = reportControlError(err);
    }
  },
};

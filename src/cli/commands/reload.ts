// `takakrypt-agent reload`: the running agent validates its configuration
// file again; on success it swaps the policy and flushes the kernel's
// decision cache, on error it keeps the running policy and says why.
import type { CommandModule } from 'yargs';
import { reloadAgent } from '../../agent/client';
import { resolvePidFile } from '../../agent/locate';
import { EXIT } from '../exit-codes';
import { reportControlError } from './stop';

export interface ReloadArgs {
  config?: string;
  'pid-file'?: string;
}

export const reloadCommand: CommandModule<object, ReloadArgs> = {
  command: 'reload',
  describe: 'reload the configuration into the running agent (same as SIGHUP)',
  builder: (y) => y
    .option('config', { type: 'string', describe: 'configuration file naming agent.pid_file' })
    .option('pid-file', { type: 'string', describe: 'pid file of the agent (overrides the configuration)' }),
  handler: async (args) => {
    try {
      const reply = await reloadAgent(resolvePidFile({ config: args.config, pidFile: args['pid-file'] }));
      if (reply.ok) {
        process.stdout.write(`configuration reloaded (generation ${String(reply.generation)})\n`);
        return;
      }
      process.stderr.write('takakrypt-agent: reload rejected; the running configuration is unchanged\n');
      for (const line of reply.problems ?? [reply.message]) process.stderr.write(`${line}\n`);
      process.exitCode = reply.code === 'CONFIG_INVALID' ? EXIT.CONFIG_INVALID : EXIT.FAILURE;
    } catch (err) {
      process.exitCode = reportControlError(err);
    }
  },
};

// `takakrypt-agent start`: validate, check keys, register with the kernel
// module, mount the auto guard points, then detach (or stay in the
// foreground for systemd). Every startup error is printed here.
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { spawnDetached } from '../../agent/detach';
import { runAgent } from '../../agent/run';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults';

export interface StartArgs {
  config: string;
  foreground?: boolean;
}

/** The CLI entry script, which the detached agent runs again. */
export const MAIN_SCRIPT = resolve(__dirname, '..', 'main.js');

/** Start the agent; resolves with the exit status the CLI should return. */
export async function startAgent(configFile: string, foreground: boolean): Promise<number> {
  const config = resolve(configFile);
  if (foreground) {
    const { productionDeps } = await import('../../agent/wiring');
    const status = await runAgent({ configFile: config, stderr: (text) => process.stderr.write(text), handleSignals: true }, productionDeps());
    // Nothing may keep a stopped agent alive (a native thread, a timer).
    process.exit(status);
  }
  const report = await spawnDetached(MAIN_SCRIPT, ['start', '--foreground', '--config', config]);
  if (report.ready) {
    process.stdout.write(`takakrypt-agent started (pid ${report.pid})\n`);
    return 0;
  }
  process.stderr.write(`takakrypt-agent: ${report.message}\n`);
  return report.exitCode;
}

export const startCommand: CommandModule<object, StartArgs> = {
  command: 'start',
  describe: 'start the agent: register with the kernel module and mount the auto guard points',
  builder: (y) => y
    .option('config', { type: 'string', default: DEFAULT_CONFIG_FILE, describe: 'configuration file' })
    .option('foreground', { type: 'boolean', default: false, describe: 'stay in the foreground (for systemd)' }),
  handler: async (args) => {
    process.exitCode = await startAgent(args.config, args.foreground === true);
  },
};

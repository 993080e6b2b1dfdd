// `takakrypt-agent status`: the agent (pid, since, configuration, guard
// points) and the kernel module's counters from /proc/takakrypt.
import type { CommandModule } from 'yargs';
import { agentStatus, readKernelStatus } from '../../agent/client';
import { resolvePidFile } from '../../agent/locate';
import { isTakakryptError } from '../../errors';
import { EXIT } from '../exit-codes';

export interface StatusArgs {
  config?: string;
  'pid-file'?: string;
  json?: boolean;
}

interface GuardPointStatus {
  path: string;
  policy: string;
  mode: string;
  mounted: boolean;
}

// Files whose keys the data path holds, how many crypt requests (new
// headers from the pool, data units) the addon answered without the
// agent's JavaScript, and how many file headers it opened itself.
function dataPathLine(dataPath: unknown): string[] {
  const d = dataPath as { filesOpen?: unknown; servedInAddon?: unknown; headersOpenedInAddon?: unknown } | undefined;
  if (d === undefined) return [];
  return [`data path: ${String(d.filesOpen)} files open, ${String(d.servedInAddon)} requests answered in the addon, ${String(d.headersOpenedInAddon ?? 0)} headers opened there`];
}

function formatAgent(reply: Record<string, unknown>): string {
  const points = (reply.guardPoints as GuardPointStatus[]) ?? [];
  const lines = [
    'agent: running',
    `pid: ${String(reply.pid)}`,
    `since: ${String(reply.since)}`,
    `config: ${String(reply.configFile)}`,
    `generation: ${String(reply.generation)}`,
    ...dataPathLine(reply.dataPath),
    'guard points:',
    ...points.map((gp) => `  ${gp.path}  policy=${gp.policy}  mode=${gp.mode}  ${gp.mounted ? 'mounted' : 'not mounted'}`),
  ];
  return `${lines.join('\n')}\n`;
}

function formatKernel(): string {
  const kernel = readKernelStatus();
  if (kernel === null) return 'kernel: module takakrypt is not loaded\n';
  return `kernel (/proc/takakrypt/status):\n${kernel.status}kernel guard points (/proc/takakrypt/guard_points):\n${kernel.guardPoints}`;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'show the agent, its guard points and the kernel module counters',
  builder: (y) => y
    .option('config', { type: 'string', describe: 'configuration file naming agent.pid_file' })
    .option('pid-file', { type: 'string', describe: 'pid file of the agent (overrides the configuration)' })
    .option('json', { type: 'boolean', describe: 'print one JSON object' }),
  handler: async (args) => {
    let reply: Record<string, unknown> | null = null;
    try {
      reply = await agentStatus(resolvePidFile({ config: args.config, pidFile: args['pid-file'] }));
    } catch (err) {
      if (!isTakakryptError(err, 'AGENT_NOT_RUNNING')) throw err;
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ agent: reply, kernel: readKernelStatus() })}\n`);
    } else {
      process.stdout.write(reply ? formatAgent(reply) : 'agent: not running\n');
      process.stdout.write(formatKernel());
    }
    process.exitCode = reply ? EXIT.OK : EXIT.NOT_RUNNING;
  },
};

#!/usr/bin/env node
// takakrypt-agent: the administrator's command line.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';
import { EXIT } from './exit-codes';

/** Build the parser; exported so tests can drive it without a subprocess. */
export function buildCli(argv: string[]) {
  let cli = yargs(argv)
    .scriptName('takakrypt-agent')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'Expected a command; run with --help to list them.')
    .recommendCommands()
    .version(readVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`takakrypt-agent: ${msg}\n`);
      process.exit(EXIT.USAGE);
    });
  for (const command of commands) cli = cli.command(command);
  return cli;
}

function readVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('../../package.json') as { version: string }).version;
}

if (require.main === module) {
  buildCli(hideBin(process.argv)).parseAsync().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`takakrypt-agent: ${message}\n`);
    process.exit(EXIT.FAILURE);
  });
}

// `takakrypt-agent transform encrypt|decrypt|rekey DIR`: offline conversion
// of existing data, to run while the directory is not an active guard point.
import type { Argv, CommandModule } from 'yargs';
import { createError } from '../../errors';
import { parseKeySpec } from '../../keys/names';
import { openStore, type StoreOptions } from '../../keys/store-location';
import type { TransformMode } from '../../transform/classify';
import { formatBytes, streamProgress } from '../../transform/progress';
import { DEFAULT_CONCURRENCY, isIncomplete, runTransform, type TransformSummary } from '../../transform/run';
import { EXIT } from '../exit-codes';
import { withStoreOptions } from './keys';

interface TransformArgs extends StoreOptions {
  dir: string;
  key?: string;
  dryRun?: boolean;
  json?: boolean;
  jobs?: number;
}

/** One line a person reads at the end of a run. */
export function summaryLine(s: TransformSummary, dir: string): string {
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? `${formatBytes(s.bytes / seconds)}/s` : '-';
  const target = s.target ? ` to ${s.target.name}:${s.target.version}` : '';
  const verb = s.dryRun ? 'would transform' : 'transformed';
  return `${s.mode}${target} ${dir}: ${verb} ${s.transformed} of ${s.files} files (${formatBytes(s.bytes)}), ${s.done} already done, `
    + `${s.skipped.length + s.notConverted.length} skipped, ${s.changed.length} changed during the run, ${s.failed.length} failed; `
    + `${seconds.toFixed(1)} s, ${rate}${s.xattrsKept ? '' : '; extended attributes NOT kept'}${s.stoppedBy ? `; STOPPED: ${s.stoppedBy}` : ''}`;
}

async function handle(mode: TransformMode, args: TransformArgs): Promise<void> {
  if (args.jobs !== undefined && !(Number.isInteger(args.jobs) && args.jobs >= 1 && args.jobs <= 64)) {
    process.stderr.write(`takakrypt-agent: expected --jobs to be an integer from 1 to 64, got ${args.jobs}\n`);
    process.exitCode = EXIT.USAGE;
    return;
  }
  const key = args.key === undefined ? undefined : parseKeySpec(args.key);
  const store = await openStore(args);
  let summary: TransformSummary;
  try {
    summary = await runTransform({
      root: args.dir, mode, key, dryRun: args.dryRun, provider: store, progress: streamProgress(process.stderr), protectedPaths: [store.path], concurrency: args.jobs,
    });
  } finally {
    store.close();
  }
  process.stdout.write(args.json ? JSON.stringify(summary, null, 2) + '\n' : summaryLine(summary, args.dir) + '\n');
  if (isIncomplete(summary)) {
    const err = createError('TRANSFORM_INCOMPLETE', `expected every file converted, got ${summary.failed.length} failed, ${summary.changed.length} changed, ${summary.skipped.length + summary.notConverted.length} skipped; see the lines above and run again after fixing them`);
    process.stderr.write(`takakrypt-agent: ${err.message}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}

function common(y: Argv<StoreOptions>, needsKey: boolean): Argv<TransformArgs> {
  let out = y
    .positional('dir', { type: 'string', demandOption: true, describe: 'directory tree to convert' })
    .option('dry-run', { type: 'boolean', describe: 'list what would change, change nothing' })
    .option('json', { type: 'boolean', describe: 'print the summary as JSON' })
    .option('jobs', { type: 'number', describe: `files converted at once (default ${DEFAULT_CONCURRENCY})` }) as unknown as Argv<TransformArgs>;
  if (needsKey) out = out.option('key', { type: 'string', demandOption: true, describe: 'NAME or NAME:VERSION (default: latest version)' }) as Argv<TransformArgs>;
  return out;
}

function sub(mode: TransformMode, describe: string, needsKey: boolean): CommandModule<StoreOptions, TransformArgs> {
  return { command: `${mode} <dir>`, describe, builder: (y) => common(y, needsKey), handler: (args) => handle(mode, args) };
}

/** The `transform` command group. */
export const transformCommand: CommandModule<object, StoreOptions> = {
  command: 'transform',
  describe: 'convert existing files offline: encrypt, decrypt or rekey a directory tree',
  builder: (y) => withStoreOptions(y)
    .command(sub('encrypt', 'encrypt every plaintext file under DIR with --key', true))
    .command(sub('decrypt', 'decrypt every encrypted file under DIR (keys named in their headers)', false))
    .command(sub('rekey', 're-encrypt every encrypted file under DIR with --key NAME[:VERSION]', true))
    .demandCommand(1, 'Expected a transform command: encrypt, decrypt or rekey.'),
  handler: () => undefined,
};
